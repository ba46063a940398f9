package io.parley.proxy;

import static io.parley.proxy.AnthropicTranslatorTest.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.stream.ChunkInspector;
import io.parley.proxy.stream.SseEventSplitter;
import io.parley.proxy.translate.OpenAiToResponsesTranslator;
import io.parley.proxy.translate.ResponsesToOpenAiTranslator;
import io.vertx.core.buffer.Buffer;

/** Golden fixtures for both directions of the OpenAI Responses translation. */
class ResponsesTranslatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void openAiChatStreamTranslatesToTheGoldenResponsesEventStream() throws Exception {
        OpenAiToResponsesTranslator translator = new OpenAiToResponsesTranslator("sim-chat");
        Buffer out = Buffer.buffer();
        ObjectNode[] usage = { null };
        byte[] input = fixture("openai/chat-stream.sse").getBytes(StandardCharsets.UTF_8);
        SseEventSplitter splitter = new SseEventSplitter();
        for (int i = 0; i < input.length; i += 53) {
            splitter.feed(Buffer.buffer().appendBytes(input, i, Math.min(53, input.length - i)), event -> {
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
        assertEquals(fixture("responses/responses-stream.sse"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void responsesRequestTranslatesToTheGoldenChatCompletionsRequest() throws Exception {
        ObjectNode request = (ObjectNode) JSON.readTree(fixture("responses/responses-request.json"));
        assertEquals(JSON.readTree(fixture("openai/chat-request-from-responses.json")),
                ResponsesToOpenAiTranslator.request(request));
    }

    @Test
    void nonStreamingCompletionCutByLengthTranslatesToAnIncompleteResponse() throws Exception {
        ObjectNode completion = (ObjectNode) JSON.readTree(fixture("openai/chat-response.json"));
        // compared as JSON text re-read, so that 1 as int or long is the same number
        assertEquals(JSON.readTree(fixture("responses/responses-response.json")),
                JSON.readTree(new OpenAiToResponsesTranslator("sim-chat").response(completion).toString()));
    }
}
