package io.parley.proxy;

import static io.parley.proxy.GoldenFixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.service.ServiceError;
import io.parley.proxy.translate.AnthropicToOpenAiTranslator;
import io.parley.proxy.translate.OpenAiToAnthropicTranslator;

/** Golden fixtures for both directions of the Anthropic Messages translation. */
class AnthropicTranslatorTest {

    private static final ObjectMapper JSON = GoldenFixtures.JSON;

    @Test
    void openAiChatStreamTranslatesToTheGoldenAnthropicEventStream() throws Exception {
        OpenAiToAnthropicTranslator translator = new OpenAiToAnthropicTranslator("sim-chat");
        assertEquals(fixture("anthropic/messages-stream.sse"),
                GoldenFixtures.translateStream(translator, "openai/chat-stream.sse", 37));
    }

    @Test
    void anthropicRequestTranslatesToTheGoldenChatCompletionsRequest() throws Exception {
        ObjectNode request = (ObjectNode) JSON.readTree(fixture("anthropic/messages-request.json"));
        assertEquals(JSON.readTree(fixture("openai/chat-request-from-messages.json")),
                AnthropicToOpenAiTranslator.request(request));
    }

    @Test
    void nonStreamingCompletionTranslatesToAnAnthropicMessage() throws Exception {
        ObjectNode completion = (ObjectNode) JSON.readTree(fixture("openai/chat-response.json"));
        assertEquals(JSON.readTree(fixture("anthropic/messages-response.json")),
                new OpenAiToAnthropicTranslator("sim-chat").response(completion));
    }

    @Test
    void errorsUseAnthropicsShape() throws Exception {
        OpenAiToAnthropicTranslator translator = new OpenAiToAnthropicTranslator("m");
        assertEquals("{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"model 'x' not found\"}}",
                translator.errorBody(ServiceError.modelNotFound("x")));
        String event = translator.error(ServiceError.badGateway("lost", "upstream_disconnected")).toString();
        assertTrue(event.startsWith("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\""), event);
    }

    @Test
    void reasoningContentBecomesAThinkingBlockBeforeTheTextBlock() throws Exception {
        // vLLM with a reasoning parser streams delta.reasoning_content first, then delta.content
        OpenAiToAnthropicTranslator translator = new OpenAiToAnthropicTranslator("m");
        StringBuilder out = new StringBuilder();
        for (String chunk : new String[] {
                "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}",
                "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Let me\"}}]}",
                "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\" think.\"}}]}",
                "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}",
                "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}" }) {
            out.append(translator.chunk((ObjectNode) JSON.readTree(chunk)).toString());
        }
        out.append(translator.end((ObjectNode) JSON.readTree("{\"prompt_tokens\":3,\"completion_tokens\":4}")));
        String events = out.toString();
        java.util.List<String> blocks = new java.util.ArrayList<>();
        for (String block : events.split("\n\n")) {
            String data = block.substring(block.indexOf("data: ") + 6);
            com.fasterxml.jackson.databind.JsonNode e = JSON.readTree(data);
            String type = e.path("type").asText();
            if (type.startsWith("content_block")) {
                blocks.add(type + ":" + e.path("index").asInt() + ":" + (type.equals("content_block_start")
                        ? e.path("content_block").path("type").asText()
                        : type.equals("content_block_delta") ? e.path("delta").path("type").asText() + "="
                                + e.path("delta").path(e.path("delta").has("thinking") ? "thinking" : "text").asText()
                                : ""));
            }
        }
        assertEquals(java.util.List.of("content_block_start:0:thinking", "content_block_delta:0:thinking_delta=Let me",
                "content_block_delta:0:thinking_delta= think.", "content_block_stop:0:", "content_block_start:1:text",
                "content_block_delta:1:text_delta=Hi", "content_block_stop:1:"), blocks, events);
    }

    @Test
    void theWebSearchToolOfMessagesAndResponsesBecomesWebSearchOptions() throws Exception {
        ObjectNode messages = (ObjectNode) JSON.readTree("{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"news\"}],\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]}");
        assertEquals(JSON.createObjectNode(), AnthropicToOpenAiTranslator.request(messages).get("web_search_options"));
        ObjectNode responses = (ObjectNode) JSON.readTree("{\"model\":\"m\",\"input\":\"news\",\"tools\":"
                + "[{\"type\":\"web_search\"}]}");
        assertEquals(JSON.createObjectNode(),
                io.parley.proxy.translate.ResponsesToOpenAiTranslator.request(responses).get("web_search_options"));
        ObjectNode plain = (ObjectNode) JSON.readTree("{\"model\":\"m\",\"input\":\"news\"}");
        assertTrue(io.parley.proxy.translate.ResponsesToOpenAiTranslator.request(plain).get("web_search_options") == null);
    }
}
