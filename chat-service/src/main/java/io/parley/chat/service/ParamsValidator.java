package io.parley.chat.service;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Per-session generation parameters: {@code temperature} (0–2, default 0.7), {@code max_tokens} (1 to the model's
 * {@code max_model_len}), {@code top_p} (0 exclusive to 1), {@code system_prompt} (only if the model supports one).
 * Anything else, or anything out of range, answers 400 naming the field.
 */
@ApplicationScoped
public class ParamsValidator {

    public static final double DEFAULT_TEMPERATURE = 0.7;
    static final Set<String> KNOWN = Set.of("temperature", "max_tokens", "top_p", "system_prompt");
    static final int MAX_SYSTEM_PROMPT = 100_000;

    private final ObjectMapper mapper;

    public ParamsValidator(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The validated params with defaults filled in; {@code base} (may be null) is overlaid by {@code update}. */
    public ObjectNode validate(JsonNode base, JsonNode update, JsonNode constraints) {
        ObjectNode out = mapper.createObjectNode();
        out.put("temperature", DEFAULT_TEMPERATURE);
        if (base != null && base.isObject()) {
            out.setAll((ObjectNode) base);
        }
        if (update != null && !update.isNull()) {
            if (!update.isObject()) {
                throw ApiException.badRequest("params", "params must be an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = update.fields(); it.hasNext();) {
                var field = it.next();
                if (!KNOWN.contains(field.getKey())) {
                    throw ApiException.badRequest(field.getKey(), "unknown parameter '" + field.getKey()
                            + "' (known: temperature, max_tokens, top_p, system_prompt)");
                }
                if (field.getValue().isNull()) {
                    out.remove(field.getKey());
                } else {
                    out.set(field.getKey(), field.getValue());
                }
            }
            if (!out.has("temperature")) {
                out.put("temperature", DEFAULT_TEMPERATURE);
            }
        }
        check(out, constraints);
        return out;
    }

    private static void check(ObjectNode p, JsonNode constraints) {
        JsonNode t = p.get("temperature");
        if (!t.isNumber() || t.asDouble() < 0 || t.asDouble() > 2) {
            throw ApiException.badRequest("temperature", "temperature must be a number between 0 and 2");
        }
        if (p.has("top_p")) {
            JsonNode v = p.get("top_p");
            if (!v.isNumber() || v.asDouble() <= 0 || v.asDouble() > 1) {
                throw ApiException.badRequest("top_p", "top_p must be a number greater than 0 and at most 1");
            }
        }
        if (p.has("max_tokens")) {
            JsonNode v = p.get("max_tokens");
            long limit = maxTokensLimit(constraints);
            if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > limit) {
                throw ApiException.badRequest("max_tokens", "max_tokens must be an integer between 1 and " + limit
                        + " (the model's limit)");
            }
        }
        if (p.has("system_prompt")) {
            JsonNode v = p.get("system_prompt");
            if (!v.isTextual() || v.asText().length() > MAX_SYSTEM_PROMPT) {
                throw ApiException.badRequest("system_prompt",
                        "system_prompt must be a string of at most " + MAX_SYSTEM_PROMPT + " characters");
            }
            if (constraints != null && constraints.path("supports_system_prompt").isBoolean()
                    && !constraints.path("supports_system_prompt").asBoolean() && !v.asText().isBlank()) {
                throw ApiException.badRequest("system_prompt", "this model does not support a system prompt");
            }
        }
    }

    /** The turn-override keys that bound the answer's length: OpenAI's two names and the Responses API's. */
    static final List<String> OVERRIDE_LENGTH_KEYS = List.of("max_tokens", "max_completion_tokens",
            "max_output_tokens");
    /** The turn-override keys that multiply the generation ({@code n} answers, {@code best_of} candidates). */
    static final List<String> OVERRIDE_COUNT_KEYS = List.of("n", "best_of");

    /**
     * Checks a turn's {@code overrides} (sent to the proxy as {@code X-Parley-Overrides}, merged over the body) by the
     * rules of the session's params, so an override cannot widen what the session allows: {@code temperature} and
     * {@code top_p} in the same ranges; {@code max_tokens} (also as {@code max_completion_tokens} or
     * {@code max_output_tokens}) an integer from 1 to the session's {@code max_tokens} when it has one, else to the
     * model's limit; {@code n} and {@code best_of} 1 (the playground shows one answer). 400 with {@code param}
     * {@code overrides.<key>} otherwise. Other keys (e.g. {@code stop}, {@code seed}) pass unchanged.
     */
    public void checkOverrides(JsonNode overrides, JsonNode sessionParams, JsonNode constraints) {
        if (overrides == null || !overrides.isObject()) {
            return;
        }
        JsonNode t = overrides.get("temperature");
        if (t != null && (!t.isNumber() || t.asDouble() < 0 || t.asDouble() > 2)) {
            throw ApiException.badRequest("overrides.temperature",
                    "overrides.temperature must be a number between 0 and 2");
        }
        JsonNode p = overrides.get("top_p");
        if (p != null && (!p.isNumber() || p.asDouble() <= 0 || p.asDouble() > 1)) {
            throw ApiException.badRequest("overrides.top_p",
                    "overrides.top_p must be a number greater than 0 and at most 1");
        }
        JsonNode sessionMax = sessionParams == null ? null : sessionParams.get("max_tokens");
        boolean bySession = sessionMax != null && sessionMax.canConvertToLong() && sessionMax.asLong() > 0;
        long limit = bySession ? Math.min(sessionMax.asLong(), maxTokensLimit(constraints)) : maxTokensLimit(constraints);
        for (String key : OVERRIDE_LENGTH_KEYS) {
            JsonNode v = overrides.get(key);
            if (v != null && (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 1 || v.asLong() > limit)) {
                throw ApiException.badRequest("overrides." + key, "overrides." + key + " must be an integer between 1 "
                        + "and " + limit + (bySession ? " (the chat's max_tokens: raise it in the chat's parameters)"
                                : " (the model's limit)"));
            }
        }
        for (String key : OVERRIDE_COUNT_KEYS) {
            JsonNode v = overrides.get(key);
            if (v != null && !(v.isIntegralNumber() && v.asLong() == 1)) {
                throw ApiException.badRequest("overrides." + key,
                        "overrides." + key + " must be 1: the playground generates one answer per turn");
            }
        }
    }

    /** The largest {@code max_tokens} the model allows: its {@code max_model_len}, else its context size. */
    public static long maxTokensLimit(JsonNode constraints) {
        if (constraints != null) {
            for (String key : new String[] { "max_model_len", "context_size" }) {
                JsonNode v = constraints.get(key);
                if (v != null && v.canConvertToLong() && v.asLong() > 0) {
                    return v.asLong();
                }
            }
        }
        return 1_000_000;
    }
}
