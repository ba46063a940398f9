package io.parley.proxy.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.rest.ApiError;

/**
 * Anthropic Messages request → OpenAI chat completions request: system prompt first, text and base64 image blocks as
 * content parts, {@code max_tokens}, {@code temperature}, {@code top_p}, {@code stop_sequences} → {@code stop}.
 */
public final class AnthropicToOpenAiTranslator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AnthropicToOpenAiTranslator() {
    }

    public static ObjectNode request(ObjectNode messages) {
        ObjectNode chat = JSON.createObjectNode();
        chat.set("model", messages.get("model"));
        ArrayNode out = chat.putArray("messages");
        JsonNode system = messages.get("system");
        if (system != null && !system.isNull()) {
            String text = system.isTextual() ? system.asText() : joinText(system);
            ObjectNode m = out.addObject();
            m.put("role", "system");
            m.put("content", text);
        }
        JsonNode input = messages.get("messages");
        if (input == null || !input.isArray()) {
            throw ApiError.badRequest("messages: field required", "messages", null);
        }
        for (JsonNode message : input) {
            ObjectNode m = out.addObject();
            m.put("role", message.path("role").asText("user"));
            JsonNode content = message.get("content");
            if (content == null || content.isTextual()) {
                m.put("content", content == null ? "" : content.asText());
            } else {
                ArrayNode parts = m.putArray("content");
                for (JsonNode block : content) {
                    String type = block.path("type").asText();
                    if (type.equals("text")) {
                        ObjectNode part = parts.addObject();
                        part.put("type", "text");
                        part.put("text", block.path("text").asText());
                    } else if (type.equals("image") && block.path("source").path("type").asText().equals("base64")) {
                        ObjectNode part = parts.addObject();
                        part.put("type", "image_url");
                        part.putObject("image_url").put("url", "data:" + block.path("source").path("media_type").asText()
                                + ";base64," + block.path("source").path("data").asText());
                    } else {
                        throw ApiError.badRequest("content block type '" + type + "' is not supported yet", "messages",
                                null);
                    }
                }
            }
        }
        if (messages.has("max_tokens")) {
            chat.set("max_tokens", messages.get("max_tokens"));
        }
        for (String field : new String[] { "temperature", "top_p", "stream", "metadata" }) {
            if (messages.has(field)) {
                chat.set(field, messages.get(field));
            }
        }
        if (messages.has("stop_sequences")) {
            chat.set("stop", messages.get("stop_sequences"));
        }
        return chat;
    }

    private static String joinText(JsonNode blocks) {
        StringBuilder text = new StringBuilder();
        for (JsonNode block : blocks) {
            if (text.length() > 0) {
                text.append('\n');
            }
            text.append(block.path("text").asText());
        }
        return text.toString();
    }
}
