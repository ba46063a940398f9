package io.parley.proxy.stream;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.vertx.core.buffer.Buffer;

/** Reads what an upstream said when it refused or failed a call. */
final class UpstreamErrors {

    private final ObjectMapper mapper;

    UpstreamErrors(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** True when the payload is an OpenAI-shaped error (a JSON object with {@code error}). */
    boolean isOpenAiError(Buffer payload) {
        try {
            JsonNode node = mapper.readTree(payload.getBytes());
            return node != null && node.has("error");
        } catch (Exception e) {
            return false;
        }
    }

    /** The upstream's message: {@code error.message} or {@code message} of a JSON body, else the body's first 200 chars. */
    String message(Buffer payload) {
        String text = payload.toString(StandardCharsets.UTF_8);
        try {
            JsonNode node = mapper.readTree(text);
            JsonNode message = node.path("error").path("message");
            if (message.isTextual()) {
                return message.asText();
            }
            if (node.path("message").isTextual()) {
                return node.path("message").asText();
            }
        } catch (Exception e) {
            // not JSON
        }
        return text.length() > 200 ? text.substring(0, 200) : text;
    }
}
