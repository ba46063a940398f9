package io.parley.proxy.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.service.ServiceError;

/**
 * Anthropic Messages request → OpenAI chat completions request: system prompt first, text, {@code image} (base64 → a
 * data URL, or url) and {@code document} (base64 PDF → {@code file} with {@code filename} and {@code file_data}; plain
 * text → text) blocks as content parts, {@code max_tokens}, {@code temperature}, {@code top_p}, {@code stop_sequences} →
 * {@code stop}.
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
            throw ServiceError.badRequest("messages: field required", "messages", null);
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
                    } else if (type.equals("image")) {
                        parts.add(image(block));
                    } else if (type.equals("document")) {
                        parts.add(document(block));
                    } else {
                        throw ServiceError.badRequest("content block type '" + type + "' is not supported yet", "messages",
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
        webSearch(messages, chat);
        return chat;
    }

    /**
     * The web-search tool of a Messages request ({@code web_search_20250305}) or a Responses request
     * ({@code web_search}, {@code web_search_preview}) becomes chat completions' own field,
     * {@code web_search_options: {}} (OpenAI's API reference); other tools are not translated yet.
     */
    static void webSearch(JsonNode request, ObjectNode chat) {
        for (JsonNode tool : request.path("tools")) {
            if (tool.path("type").asText().startsWith("web_search")) {
                chat.putObject("web_search_options");
                return;
            }
        }
    }

    /** {@code image} with a base64 or url source → {@code image_url} (a data URL for base64). */
    private static ObjectNode image(JsonNode block) {
        JsonNode source = block.path("source");
        ObjectNode part = JSON.createObjectNode();
        part.put("type", "image_url");
        switch (source.path("type").asText()) {
            case "base64" -> part.putObject("image_url").put("url", dataUrl(source));
            case "url" -> part.putObject("image_url").put("url", source.path("url").asText());
            default -> throw ServiceError.badRequest("image source type '" + source.path("type").asText()
                    + "' is not supported (base64 or url)", "messages", null);
        }
        return part;
    }

    /**
     * {@code document} with a base64 source (a PDF) → {@code file} with {@code filename} (the block's title, else
     * {@code document.pdf}) and {@code file_data} as a data URL; a plain-text source → a text part.
     */
    private static ObjectNode document(JsonNode block) {
        JsonNode source = block.path("source");
        ObjectNode part = JSON.createObjectNode();
        switch (source.path("type").asText()) {
            case "base64" -> {
                part.put("type", "file");
                ObjectNode file = part.putObject("file");
                String mime = source.path("media_type").asText("application/pdf");
                file.put("filename", block.path("title").isTextual() ? block.path("title").asText()
                        : "document" + ("application/pdf".equals(mime) ? ".pdf" : ""));
                file.put("file_data", dataUrl(source));
            }
            case "text" -> {
                part.put("type", "text");
                part.put("text", source.path("data").asText());
            }
            default -> throw ServiceError.badRequest("document source type '" + source.path("type").asText()
                    + "' is not supported (base64 or text)", "messages", null);
        }
        return part;
    }

    private static String dataUrl(JsonNode base64Source) {
        return "data:" + base64Source.path("media_type").asText("application/octet-stream") + ";base64,"
                + base64Source.path("data").asText();
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
