package io.parley.proxy.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.service.ServiceError;

/**
 * OpenAI Responses request → chat completions request: {@code instructions} as the system message, {@code input} (a
 * string or message items with {@code input_text}, {@code output_text}, {@code input_image} (URL or data URL →
 * {@code image_url}), {@code input_file} ({@code file_data}, {@code filename} → {@code file}) and {@code input_audio}
 * parts),
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
            throw ServiceError.badRequest("input: field required", "input", null);
        }
        if (input.isTextual()) {
            ObjectNode m = messages.addObject();
            m.put("role", "user");
            m.put("content", input.asText());
        } else {
            for (JsonNode item : input) {
                String type = item.path("type").asText("message");
                if (!type.equals("message")) {
                    throw ServiceError.badRequest("input item type '" + type + "' is not supported yet", "input", null);
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
                        case "input_image" -> parts.add(image(part));
                        case "input_file" -> parts.add(file(part));
                        case "input_audio" -> parts.add(audio(part));
                        default -> throw ServiceError.badRequest("content part type '" + partType
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
        AnthropicToOpenAiTranslator.webSearch(responses, chat);
        return chat;
    }

    /** {@code input_image} ({@code image_url}: a URL or a data URL; {@code detail}) → chat {@code image_url}. */
    private static ObjectNode image(JsonNode part) {
        JsonNode url = part.get("image_url");
        if (url == null || !url.isTextual()) {
            throw ServiceError.badRequest("input_image needs an image_url (a URL or a data URL); file_id is not supported",
                    "input", null);
        }
        ObjectNode p = JSON.createObjectNode();
        p.put("type", "image_url");
        ObjectNode image = p.putObject("image_url");
        image.put("url", url.asText());
        if (part.path("detail").isTextual()) {
            image.put("detail", part.path("detail").asText());
        }
        return p;
    }

    /** {@code input_file} ({@code file_data} data URL, {@code filename}) → chat {@code file}. */
    private static ObjectNode file(JsonNode part) {
        JsonNode data = part.get("file_data");
        if (data == null || !data.isTextual()) {
            throw ServiceError.badRequest("input_file needs file_data (a base64 data URL); file_id and file_url are not "
                    + "supported", "input", null);
        }
        ObjectNode p = JSON.createObjectNode();
        p.put("type", "file");
        ObjectNode file = p.putObject("file");
        if (part.path("filename").isTextual()) {
            file.put("filename", part.path("filename").asText());
        }
        file.put("file_data", data.asText());
        return p;
    }

    /** {@code input_audio} ({@code data} base64, {@code format}) → the chat part of the same shape. */
    private static ObjectNode audio(JsonNode part) {
        JsonNode audio = part.get("input_audio");
        if (!(audio instanceof ObjectNode) || !audio.path("data").isTextual()) {
            throw ServiceError.badRequest("input_audio needs input_audio.data (base64) and input_audio.format", "input",
                    null);
        }
        ObjectNode p = JSON.createObjectNode();
        p.put("type", "input_audio");
        ObjectNode out = p.putObject("input_audio");
        out.put("data", audio.path("data").asText());
        out.put("format", audio.path("format").asText("wav"));
        return p;
    }
}
