package io.parley.proxy;

import static io.parley.proxy.GoldenFixtures.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.translate.OpenAiToResponsesTranslator;
import io.parley.proxy.translate.ResponsesToOpenAiTranslator;

/** Golden fixtures for both directions of the OpenAI Responses translation. */
class ResponsesTranslatorTest {

    private static final ObjectMapper JSON = GoldenFixtures.JSON;

    @Test
    void openAiChatStreamTranslatesToTheGoldenResponsesEventStream() throws Exception {
        OpenAiToResponsesTranslator translator = new OpenAiToResponsesTranslator("sim-chat");
        assertEquals(fixture("responses/responses-stream.sse"),
                GoldenFixtures.translateStream(translator, "openai/chat-stream.sse", 53));
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
