package io.parley.proxy.limits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.contracts.EndpointKind;
import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.service.ModelCatalog;
import io.parley.proxy.service.ServiceError;

/**
 * Bounds the output of every call. The cap is the model's context length minus the prompt's estimate
 * ({@code service/PromptTokenEstimate}) when the registry knows the context ({@code max_model_len}), else the configured
 * {@code parley.proxy.limits.max-output-tokens}. A request asking for more is answered 400 {@code invalid_request_error}
 * with {@code param} naming the client's parameter ({@code max_tokens}, {@code max_completion_tokens}, Responses'
 * {@code max_output_tokens}), as OpenAI, Anthropic and vLLM answer an impossible request: code
 * {@code context_length_exceeded} against the context, {@code invalid_value} against the configured maximum. A request
 * that sets no limit is sent with {@code max_tokens} = the configured maximum when the context is unknown; when it is
 * known the request is sent as it came: the server's own default is bounded by its context (vLLM generates at most
 * {@code max_model_len} minus the prompt's real token count). Sending context minus the estimate instead would
 * overflow the context, because the server counts the prompt with its own tokenizer and chat template (more tokens
 * than the 4-characters estimate) and refuses prompt + max_tokens above its context. {@code limits.max-stream-duration}
 * bounds every call.
 *
 * <p>
 * Works on the upstream (chat-completions shaped) body after the overrides were merged, so an override cannot lift it.
 */
public final class OutputTokenCap {

    private OutputTokenCap() {
    }

    /**
     * Checks {@code request} (the upstream body, modified in place) against the cap for {@code resolution}.
     *
     * @throws ServiceError 400 when the request asks for more than the cap, or for a non-integer or negative count
     */
    public static void apply(EndpointKind kind, ObjectNode request, ModelCatalog.Resolution resolution,
            int promptEstimate, int configuredMax) {
        Integer context = resolution instanceof ModelCatalog.Ready ready ? contextOf(ready.model()) : null;
        long cap = context != null ? (long) context - promptEstimate : configuredMax;
        if (context != null && cap < 1) {
            throw new ServiceError(ServiceError.Kind.INVALID_REQUEST,
                    "This model's maximum context length is " + context + " tokens, and the prompt "
                            + "alone is estimated at " + promptEstimate + " tokens. Please reduce the length of the "
                            + promptParam(kind) + ".",
                    "invalid_request_error", promptParam(kind), "context_length_exceeded");
        }
        boolean limited = false;
        for (String key : new String[] { "max_tokens", "max_completion_tokens" }) {
            JsonNode value = request.get(key);
            if (value == null || value.isNull()) {
                continue;
            }
            String param = clientParam(kind, key);
            if (!value.isIntegralNumber() && !(value.isNumber() && value.asDouble() == Math.rint(value.asDouble()))) {
                throw ServiceError.badRequest("'" + param + "' must be an integer", param, "invalid_type");
            }
            double requested = value.asDouble();
            if (requested < 1) {
                throw ServiceError.badRequest("'" + param + "' must be at least 1, got " + value.asText(), param,
                        "invalid_value");
            }
            if (requested > cap) {
                throw context != null
                        ? new ServiceError(ServiceError.Kind.INVALID_REQUEST,
                                "'" + param + "' is too large: " + value.asText() + ". This model's maximum "
                                        + "context length is " + context + " tokens and the prompt is estimated at "
                                        + promptEstimate + " tokens, so at most " + cap + " output tokens can be requested.",
                                "invalid_request_error", param, "context_length_exceeded")
                        : ServiceError.badRequest("'" + param + "' is too large: " + value.asText() + ". At most " + cap
                                + " output tokens can be requested from this model.", param, "invalid_value");
            }
            limited = true;
        }
        if (!limited && context == null) {
            request.put("max_tokens", configuredMax);
        }
    }

    private static Integer contextOf(RegistryModel model) {
        Integer len = model.maxModelLen();
        return len != null && len > 0 ? len : null;
    }

    /** The name the client used: Responses calls it {@code max_output_tokens}, its translator renamed it. */
    private static String clientParam(EndpointKind kind, String upstreamKey) {
        return kind == EndpointKind.RESPONSES && "max_tokens".equals(upstreamKey) ? "max_output_tokens" : upstreamKey;
    }

    private static String promptParam(EndpointKind kind) {
        return switch (kind) {
            case RESPONSES -> "input";
            case COMPLETIONS -> "prompt";
            default -> "messages";
        };
    }
}
