package io.parley.proxy.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** OpenAI Responses on the client's side, OpenAI chat completions upstream. */
public final class ResponsesTranslation implements Translation {

    public static final ResponsesTranslation INSTANCE = new ResponsesTranslation();

    private ResponsesTranslation() {
    }

    @Override
    public ObjectNode request(ObjectNode clientRequest) {
        return ResponsesToOpenAiTranslator.request(clientRequest);
    }

    @Override
    public StreamTranslator answer(String model) {
        return new OpenAiToResponsesTranslator(model);
    }
}
