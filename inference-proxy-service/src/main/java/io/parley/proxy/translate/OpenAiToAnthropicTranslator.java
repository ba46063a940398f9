package io.parley.proxy.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.service.ServiceError;
import io.vertx.core.buffer.Buffer;

/**
 * Upstream OpenAI chat completions (chunks or a whole response) → Anthropic Messages (events {@code message_start},
 * {@code content_block_start}, {@code content_block_delta}, {@code content_block_stop}, {@code message_delta},
 * {@code message_stop}; or a {@code message} object). Text content, and reasoning output (vLLM's
 * {@code delta.reasoning_content}, or {@code delta.reasoning} since vLLM 0.11) as a {@code thinking} block before the
 * text block ({@code thinking_delta} events, as Anthropic's extended thinking streams them); tool calls are not
 * translated yet. The proxy's server metrics of the upstream usage are carried into the {@code message_delta} (or
 * message) usage.
 */
public final class OpenAiToAnthropicTranslator implements StreamTranslator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String model;
    private boolean started;
    private boolean blockOpen;
    private boolean thinkingOpen;
    /** The index of the next content block (a thinking block takes 0, the text block then 1). */
    private int nextIndex;
    private int textIndex;
    private String stopReason;
    private int outputTokens;

    public OpenAiToAnthropicTranslator(String model) {
        this.model = model;
    }

    @Override
    public Buffer chunk(ObjectNode chunk) {
        Buffer out = Buffer.buffer();
        if (!started) {
            started = true;
            ObjectNode message = JSON.createObjectNode();
            message.put("id", "msg_" + chunk.path("id").asText("parley"));
            message.put("type", "message");
            message.put("role", "assistant");
            message.put("model", chunk.path("model").asText(model));
            message.putArray("content");
            message.putNull("stop_reason");
            message.putNull("stop_sequence");
            ObjectNode usage = message.putObject("usage");
            usage.put("input_tokens", 0);
            usage.put("output_tokens", 0);
            ObjectNode start = JSON.createObjectNode();
            start.put("type", "message_start");
            start.set("message", message);
            event(out, "message_start", start);
        }
        for (JsonNode choice : chunk.path("choices")) {
            JsonNode d0 = choice.path("delta");
            String thinking = (d0.hasNonNull("reasoning_content") ? d0.get("reasoning_content") : d0.path("reasoning"))
                    .asText("");
            if (!thinking.isEmpty() && !blockOpen) {
                if (!thinkingOpen) {
                    thinkingOpen = true;
                    ObjectNode blockStart = JSON.createObjectNode();
                    blockStart.put("type", "content_block_start");
                    blockStart.put("index", nextIndex);
                    ObjectNode block = blockStart.putObject("content_block");
                    block.put("type", "thinking");
                    block.put("thinking", "");
                    event(out, "content_block_start", blockStart);
                }
                ObjectNode delta = JSON.createObjectNode();
                delta.put("type", "content_block_delta");
                delta.put("index", nextIndex);
                ObjectNode d = delta.putObject("delta");
                d.put("type", "thinking_delta");
                d.put("thinking", thinking);
                event(out, "content_block_delta", delta);
            }
            String text = choice.path("delta").path("content").asText("");
            if (!text.isEmpty()) {
                if (!blockOpen) {
                    closeThinking(out);
                    blockOpen = true;
                    textIndex = nextIndex++;
                    ObjectNode blockStart = JSON.createObjectNode();
                    blockStart.put("type", "content_block_start");
                    blockStart.put("index", textIndex);
                    ObjectNode block = blockStart.putObject("content_block");
                    block.put("type", "text");
                    block.put("text", "");
                    event(out, "content_block_start", blockStart);
                }
                ObjectNode delta = JSON.createObjectNode();
                delta.put("type", "content_block_delta");
                delta.put("index", textIndex);
                ObjectNode d = delta.putObject("delta");
                d.put("type", "text_delta");
                d.put("text", text);
                event(out, "content_block_delta", delta);
                outputTokens++;
            }
            JsonNode finish = choice.get("finish_reason");
            if (finish != null && finish.isTextual()) {
                stopReason = stopReason(finish.asText());
            }
        }
        return out;
    }

    @Override
    public Buffer end(ObjectNode usage) {
        Buffer out = Buffer.buffer();
        if (!started) {
            chunk(JSON.createObjectNode());
        }
        closeThinking(out);
        if (blockOpen) {
            blockOpen = false;
            ObjectNode stop = JSON.createObjectNode();
            stop.put("type", "content_block_stop");
            stop.put("index", textIndex);
            event(out, "content_block_stop", stop);
        }
        ObjectNode messageDelta = JSON.createObjectNode();
        messageDelta.put("type", "message_delta");
        ObjectNode delta = messageDelta.putObject("delta");
        delta.put("stop_reason", stopReason == null ? "end_turn" : stopReason);
        delta.putNull("stop_sequence");
        ObjectNode u = messageDelta.putObject("usage");
        if (usage != null && usage.has("prompt_tokens")) {
            u.put("input_tokens", usage.path("prompt_tokens").asInt());
        }
        u.put("output_tokens", usage != null && usage.has("completion_tokens") ? usage.path("completion_tokens").asInt()
                : outputTokens);
        ServerMetrics.copy(usage, u);
        event(out, "message_delta", messageDelta);
        ObjectNode stop = JSON.createObjectNode();
        stop.put("type", "message_stop");
        event(out, "message_stop", stop);
        return out;
    }

    /** Ends an open thinking block (the text block, or the end of the message, follows). */
    private void closeThinking(Buffer out) {
        if (!thinkingOpen) {
            return;
        }
        thinkingOpen = false;
        ObjectNode stop = JSON.createObjectNode();
        stop.put("type", "content_block_stop");
        stop.put("index", nextIndex++);
        event(out, "content_block_stop", stop);
    }

    @Override
    public Buffer error(ServiceError error) {
        Buffer out = Buffer.buffer();
        event(out, "error", errorNode(error));
        return out;
    }

    @Override
    public ObjectNode response(ObjectNode completion) {
        ObjectNode message = JSON.createObjectNode();
        message.put("id", "msg_" + completion.path("id").asText("parley"));
        message.put("type", "message");
        message.put("role", "assistant");
        message.put("model", completion.path("model").asText(model));
        ArrayNode content = message.putArray("content");
        JsonNode choice = completion.path("choices").path(0);
        String text = choice.path("message").path("content").asText("");
        ObjectNode block = content.addObject();
        block.put("type", "text");
        block.put("text", text);
        message.put("stop_reason", stopReason(choice.path("finish_reason").asText("stop")));
        message.putNull("stop_sequence");
        ObjectNode usage = message.putObject("usage");
        usage.put("input_tokens", completion.path("usage").path("prompt_tokens").asInt());
        usage.put("output_tokens", completion.path("usage").path("completion_tokens").asInt());
        ServerMetrics.copy(completion.get("usage"), usage);
        return message;
    }

    @Override
    public String errorBody(ServiceError error) {
        return errorNode(error).toString();
    }

    private static ObjectNode errorNode(ServiceError error) {
        ObjectNode root = JSON.createObjectNode();
        root.put("type", "error");
        ObjectNode e = root.putObject("error");
        e.put("type", anthropicErrorType(error));
        e.put("message", error.getMessage());
        return root;
    }

    /** Anthropic's error type for a kind of error (an upstream's refusal: for its status). */
    static String anthropicErrorType(ServiceError error) {
        return switch (error.kind()) {
            case INVALID_REQUEST -> "invalid_request_error";
            case TOO_LARGE -> "request_too_large";
            case UNAUTHENTICATED -> "authentication_error";
            case FORBIDDEN -> "permission_error";
            case NOT_FOUND -> "not_found_error";
            case RATE_LIMITED -> "rate_limit_error";
            case UNAVAILABLE -> "overloaded_error";
            case UPSTREAM_REFUSED -> anthropicErrorType(error.upstreamStatus());
            default -> "api_error";
        };
    }

    static String anthropicErrorType(int status) {
        return switch (status) {
            case 400, 413 -> status == 413 ? "request_too_large" : "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            default -> "api_error";
        };
    }

    static String stopReason(String finishReason) {
        return switch (finishReason) {
            case "length" -> "max_tokens";
            case "tool_calls", "function_call" -> "tool_use";
            default -> "end_turn";
        };
    }

    private static void event(Buffer out, String name, ObjectNode data) {
        out.appendString("event: ").appendString(name).appendString("\ndata: ").appendString(data.toString())
                .appendString("\n\n");
    }
}
