package io.parley.proxy.service;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An estimate of a request's prompt tokens, used for usage only when the upstream's own count never arrives (a call
 * cancelled or broken before the usage chunk). The proxy has no model tokenizer, so it counts like OpenAI's rule of
 * thumb: one token per 4 characters of text (rounded up), plus the chat-format overhead of 3 tokens per request and 4 per
 * message (as vLLM-style chat templates and the simulator do). Images, audio and files are not counted.
 */
public final class PromptTokenEstimate {

    private PromptTokenEstimate() {
    }

    /** For an upstream request in chat-completions shape ({@code messages}) or legacy completions ({@code prompt}). */
    public static int of(JsonNode request) {
        JsonNode messages = request.get("messages");
        if (messages != null && messages.isArray()) {
            long chars = 0;
            int count = 0;
            for (JsonNode message : messages) {
                count++;
                chars += textChars(message.get("content"));
                chars += textChars(message.get("name"));
            }
            return (int) Math.min(Integer.MAX_VALUE, 3 + 4L * count + (chars + 3) / 4);
        }
        JsonNode prompt = request.get("prompt");
        if (prompt == null) {
            return 0;
        }
        if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isNumber()) {
            return prompt.size(); // token ids
        }
        return (int) Math.min(Integer.MAX_VALUE, (textChars(prompt) + 3) / 4);
    }

    private static long textChars(JsonNode node) {
        if (node == null || node.isNull()) {
            return 0;
        }
        if (node.isTextual()) {
            return node.asText().length();
        }
        long chars = 0;
        if (node.isArray()) {
            for (JsonNode part : node) {
                if (part.isTextual()) {
                    chars += part.asText().length();
                } else if (part.path("text").isTextual()) {
                    chars += part.path("text").asText().length();
                }
            }
        }
        return chars;
    }
}
