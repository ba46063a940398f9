package io.parley.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.rest.ApiError;
import io.parley.proxy.stream.ChunkInspector;
import io.parley.proxy.stream.SseEventSplitter;
import io.parley.proxy.translate.AnthropicToOpenAiTranslator;
import io.parley.proxy.translate.OpenAiToAnthropicTranslator;
import io.vertx.core.buffer.Buffer;

/** Golden fixtures for both directions of the Anthropic Messages translation. */
class AnthropicTranslatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static String fixture(String path) throws Exception {
        try (InputStream in = AnthropicTranslatorTest.class.getResourceAsStream("/fixtures/" + path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void openAiChatStreamTranslatesToTheGoldenAnthropicEventStream() throws Exception {
        OpenAiToAnthropicTranslator translator = new OpenAiToAnthropicTranslator("sim-chat");
        Buffer out = Buffer.buffer();
        ObjectNode[] usage = { null };
        // fed in uneven pieces, as a network would deliver it
        byte[] input = fixture("openai/chat-stream.sse").getBytes(StandardCharsets.UTF_8);
        SseEventSplitter splitter = new SseEventSplitter();
        for (int i = 0; i < input.length; i += 37) {
            splitter.feed(Buffer.buffer().appendBytes(input, i, Math.min(37, input.length - i)), event -> {
                String data = ChunkInspector.data(event);
                if (data == null || data.equals("[DONE]")) {
                    return;
                }
                try {
                    ObjectNode chunk = (ObjectNode) JSON.readTree(data);
                    if (chunk.get("usage") instanceof ObjectNode u) {
                        usage[0] = u;
                    }
                    out.appendBuffer(translator.chunk(chunk));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        out.appendBuffer(translator.end(usage[0]));
        assertEquals(fixture("anthropic/messages-stream.sse"), out.toString(StandardCharsets.UTF_8));
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
