package io.parley.proxy.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.rest.ApiError;

/**
 * OpenAI Responses request → chat completions request: {@code instructions} as the system message, {@code input} (a
 * string or message items with {@code input_text}, {@code output_text} and {@code input_image} parts),
 * {@code max_output_tokens} → {@code max_tokens}, {@code temperature}, {@code top_p}, {@code stream}, {@code metadata}.
 */
public final class ResponsesToOpenAiTranslator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ResponsesToOpenAiTranslator() {
    }

    public static ObjectNode request(ObjectNode responses) {
        ObjectNode chat = JSON.createObjectNode();
        chat.set("model", responses.get("model"));
        ArrayNode messages = chat.putArray("messages");
        JsonNode instructions = responses.get("instructions");
        if (instructions != null && instructions.isTextual()) {
            ObjectNode m = messages.addObject();
            m.put("role", "system");
            m.put("content", instructions.asText());
        }
        JsonNode input = responses.get("input");
        if (input == null || input.isNull()) {
            throw ApiError.badRequest("input: field required", "input", null);
        }
        if (input.isTextual()) {
            ObjectNode m = messages.addObject();
            m.put("role", "user");
            m.put("content", input.asText());
        } else {
            for (JsonNode item : input) {
                String type = item.path("type").asText("message");
                if (!type.equals("message")) {
                    throw ApiError.badRequest("input item type '" + type + "' is not supported yet", "input", null);
                }
                ObjectNode m = messages.addObject();
                String role = item.path("role").asText("user");
                m.put("role", role.equals("developer") ? "system" : role);
                JsonNode content = item.get("content");
                if (content == null || content.isTextual()) {
                    m.put("content", content == null ? "" : content.asText());
                    continue;
                }
                ArrayNode parts = m.putArray("content");
                for (JsonNode part : content) {
                    String partType = part.path("type").asText();
                    switch (partType) {
                        case "input_text", "output_text" -> {
                            ObjectNode p = parts.addObject();
                            p.put("type", "text");
                            p.put("text", part.path("text").asText());
                        }
                        case "input_image" -> {
                            ObjectNode p = parts.addObject();
                            p.put("type", "image_url");
                            p.putObject("image_url").put("url", part.path("image_url").asText());
                        }
                        default -> throw ApiError.badRequest("content part type '" + partType
                                + "' is not supported yet", "input", null);
                    }
                }
            }
        }
        if (responses.has("max_output_tokens")) {
            chat.set("max_tokens", responses.get("max_output_tokens"));
        }
        for (String field : new String[] { "temperature", "top_p", "stream", "metadata" }) {
            if (responses.has(field)) {
                chat.set(field, responses.get(field));
            }
        }
        return chat;
    }
}
