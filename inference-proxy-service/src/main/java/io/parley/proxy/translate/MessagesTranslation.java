package io.parley.proxy.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Anthropic Messages on the client's side, OpenAI chat completions upstream. */
public final class MessagesTranslation implements Translation {

    public static final MessagesTranslation INSTANCE = new MessagesTranslation();

    private MessagesTranslation() {
    }

    @Override
    public ObjectNode request(ObjectNode clientRequest) {
        return AnthropicToOpenAiTranslator.request(clientRequest);
    }

    @Override
    public StreamTranslator answer(String model) {
        return new OpenAiToAnthropicTranslator(model);
    }
}
