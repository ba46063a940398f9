package io.parley.simulator.service;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

import com.fasterxml.jackson.databind.JsonNode;

import io.parley.simulator.token.Tokenizer;

/**
 * Validates a chat or completion request body and counts its prompt tokens.
 * <p>
 * Prompt token rule (documented in the README): chat = 3 + Σ over messages of (4 + tokens(content) + tokens(name)),
 * where a text content part counts its text and any other content part (image, audio, file) counts
 * {@value #NON_TEXT_PART_TOKENS}; completions = 1 (BOS) + tokens(prompt), a token-id array counting its length.
 */
public final class RequestParser {

    static final int PER_MESSAGE_TOKENS = 4;
    static final int REPLY_PRIMING_TOKENS = 3;
    static final int NON_TEXT_PART_TOKENS = 16;
    static final int BOS_TOKENS = 1;

    private RequestParser() {
    }

    public static GenerationRequest parse(Endpoint endpoint, JsonNode body) {
        if (body == null || !body.isObject()) {
            throw SimulatorException.badRequest("The request body must be a JSON object.");
        }
        String model = requiredText(body, "model");
        boolean stream = optionalBoolean(body, "stream", false);
        boolean includeUsage = false;
        JsonNode streamOptions = body.get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!stream) {
                throw SimulatorException.badRequest("Stream options can only be defined when `stream=True`.",
                        "stream_options");
            }
            if (!streamOptions.isObject()) {
                throw SimulatorException.badRequest("stream_options must be an object.", "stream_options");
            }
            includeUsage = optionalBoolean(streamOptions, "include_usage", false);
        }
        OptionalInt maxTokens = optionalInt(body, "max_completion_tokens");
        if (maxTokens.isEmpty()) {
            maxTokens = optionalInt(body, "max_tokens");
        }
        if (maxTokens.isPresent() && maxTokens.getAsInt() < 1) {
            throw SimulatorException.badRequest("max_tokens must be at least 1, got " + maxTokens.getAsInt() + ".",
                    "max_tokens");
        }
        double temperature = optionalNumber(body, "temperature", 1.0);
        if (temperature < 0) {
            throw SimulatorException.badRequest("temperature must be non-negative, got " + temperature + ".",
                    "temperature");
        }
        double topP = optionalNumber(body, "top_p", 1.0);
        if (topP <= 0 || topP > 1) {
            throw SimulatorException.badRequest("top_p must be in (0, 1], got " + topP + ".", "top_p");
        }
        OptionalInt n = optionalInt(body, "n");
        if (n.isPresent() && n.getAsInt() < 1) {
            throw SimulatorException.badRequest("n must be at least 1, got " + n.getAsInt() + ".", "n");
        }
        if (n.isPresent() && n.getAsInt() > 1) {
            throw SimulatorException.badRequest("n > 1 is not supported by the model simulator.", "n");
        }
        OptionalInt seedInt = optionalInt(body, "seed");
        OptionalLong seed = seedInt.isPresent() ? OptionalLong.of(seedInt.getAsInt()) : OptionalLong.empty();
        List<String> stop = stops(body.get("stop"));

        return switch (endpoint) {
            case CHAT_COMPLETIONS -> chat(body, model, stream, includeUsage, maxTokens, temperature, seed, stop);
            case COMPLETIONS -> completion(body, model, stream, includeUsage, maxTokens, temperature, seed, stop);
        };
    }

    private static GenerationRequest chat(JsonNode body, String model, boolean stream, boolean includeUsage,
            OptionalInt maxTokens, double temperature, OptionalLong seed, List<String> stop) {
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw SimulatorException.badRequest("messages must be a non-empty array.", "messages");
        }
        int promptTokens = REPLY_PRIMING_TOKENS;
        String lastUser = "";
        StringBuilder promptText = new StringBuilder();
        for (JsonNode message : messages) {
            if (!message.isObject()) {
                throw SimulatorException.badRequest("Each message must be an object.", "messages");
            }
            JsonNode role = message.get("role");
            if (role == null || !role.isTextual() || role.asText().isBlank()) {
                throw SimulatorException.badRequest("Each message must have a string role.", "messages");
            }
            Content content = content(message.get("content"));
            promptTokens += PER_MESSAGE_TOKENS + content.tokens();
            JsonNode name = message.get("name");
            if (name != null && name.isTextual()) {
                promptTokens += Tokenizer.count(name.asText());
            }
            promptText.append(role.asText()).append('\n').append(content.text()).append('\n');
            if ("user".equals(role.asText())) {
                lastUser = content.text();
            }
        }
        return new GenerationRequest(Endpoint.CHAT_COMPLETIONS, model, stream, includeUsage, maxTokens, temperature,
                seed, stop, promptTokens, lastUser, promptText.toString());
    }

    private static GenerationRequest completion(JsonNode body, String model, boolean stream, boolean includeUsage,
            OptionalInt maxTokens, double temperature, OptionalLong seed, List<String> stop) {
        JsonNode prompt = body.get("prompt");
        if (prompt == null || prompt.isNull()) {
            throw SimulatorException.badRequest("prompt is required.", "prompt");
        }
        if (prompt.isArray() && prompt.size() == 1 && (prompt.get(0).isTextual() || prompt.get(0).isArray())) {
            prompt = prompt.get(0);
        }
        String text;
        int tokens;
        if (prompt.isTextual()) {
            text = prompt.asText();
            tokens = BOS_TOKENS + Tokenizer.count(text);
        } else if (prompt.isArray() && allInts(prompt)) {
            text = prompt.toString();
            tokens = prompt.size();
        } else if (prompt.isArray()) {
            throw SimulatorException.badRequest("Batched prompts are not supported by the model simulator.",
                    "prompt");
        } else {
            throw SimulatorException.badRequest("prompt must be a string, a list of strings or a list of token ids.",
                    "prompt");
        }
        return new GenerationRequest(Endpoint.COMPLETIONS, model, stream, includeUsage, maxTokens, temperature, seed,
                stop, tokens, text, text);
    }

    private record Content(String text, int tokens) {
    }

    private static Content content(JsonNode content) {
        if (content == null || content.isNull()) {
            return new Content("", 0);
        }
        if (content.isTextual()) {
            return new Content(content.asText(), Tokenizer.count(content.asText()));
        }
        if (!content.isArray()) {
            throw SimulatorException.badRequest("Message content must be a string or an array of parts.",
                    "messages");
        }
        StringBuilder text = new StringBuilder();
        int tokens = 0;
        for (JsonNode part : content) {
            JsonNode type = part.get("type");
            if (type != null && "text".equals(type.asText()) && part.path("text").isTextual()) {
                if (!text.isEmpty()) {
                    text.append('\n');
                }
                text.append(part.get("text").asText());
                tokens += Tokenizer.count(part.get("text").asText());
            } else if (type != null && type.isTextual()) {
                tokens += NON_TEXT_PART_TOKENS;
            } else {
                throw SimulatorException.badRequest("Each content part must have a type.", "messages");
            }
        }
        return new Content(text.toString(), tokens);
    }

    private static List<String> stops(JsonNode stop) {
        List<String> stops = new ArrayList<>();
        if (stop == null || stop.isNull()) {
            return stops;
        }
        if (stop.isTextual()) {
            stops.add(stop.asText());
            return stops;
        }
        if (stop.isArray()) {
            for (JsonNode s : stop) {
                if (!s.isTextual()) {
                    throw SimulatorException.badRequest("stop must be a string or a list of strings.", "stop");
                }
                stops.add(s.asText());
            }
            return stops;
        }
        throw SimulatorException.badRequest("stop must be a string or a list of strings.", "stop");
    }

    private static boolean allInts(JsonNode array) {
        for (JsonNode n : array) {
            if (!n.isIntegralNumber()) {
                return false;
            }
        }
        return !array.isEmpty();
    }

    private static String requiredText(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw SimulatorException.badRequest("Field `" + field + "` is required and must be a string.", field);
        }
        return value.asText();
    }

    private static boolean optionalBoolean(JsonNode body, String field, boolean fallback) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw SimulatorException.badRequest("Field `" + field + "` must be a boolean.", field);
        }
        return value.asBoolean();
    }

    private static OptionalInt optionalInt(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return OptionalInt.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw SimulatorException.badRequest("Field `" + field + "` must be an integer.", field);
        }
        return OptionalInt.of(value.asInt());
    }

    private static double optionalNumber(JsonNode body, String field, double fallback) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isNumber()) {
            throw SimulatorException.badRequest("Field `" + field + "` must be a number.", field);
        }
        return value.asDouble();
    }
}
