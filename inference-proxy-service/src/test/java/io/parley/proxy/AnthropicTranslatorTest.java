package io.parley.proxy;

import static io.parley.proxy.GoldenFixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.rest.ApiError;
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
                translator.errorBody(ApiError.modelNotFound("x")));
        String event = translator.error(ApiError.badGateway("lost", "upstream_disconnected")).toString();
        assertTrue(event.startsWith("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\""), event);
    }
}
