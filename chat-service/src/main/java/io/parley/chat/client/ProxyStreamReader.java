package io.parley.chat.client;

import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.buffer.Buffer;

/**
 * Reads the body of one streamed proxy answer, fed as it arrives, into {@link ProxyStreamListener} calls: the SSE of
 * {@code /v1/chat/completions} (chunks, then {@code [DONE]}), {@code /v1/responses} or {@code /v1/messages}, the same
 * listener calls whatever the endpoint. Not thread-safe: one event loop feeds it.
 */
final class ProxyStreamReader {

    private static final Logger LOG = Logger.getLogger(ProxyStreamReader.class);

    private final ObjectMapper mapper;
    private final ProxyStreamListener listener;
    private final AtomicBoolean done = new AtomicBoolean();
    private final StreamReader reader;
    private final SseParser parser;

    ProxyStreamReader(EndpointMode mode, ObjectMapper mapper, ProxyStreamListener listener) {
        this.mapper = mapper;
        this.listener = listener;
        this.reader = switch (mode) {
            case RESPONSES -> new ResponsesReader(listener, done);
            case MESSAGES -> new MessagesReader(listener, done);
            case COMPLETIONS -> new ChatCompletionsReader(listener, done, true);
            default -> new ChatCompletionsReader(listener, done, false);
        };
        this.parser = new SseParser(this::event);
    }

    /** The next bytes of the body (split anywhere). */
    void feed(Buffer chunk) {
        parser.feed(chunk);
    }

    /** The end of the body: a stream that did not end with its API's last event ends as an error. */
    void end() {
        parser.end();
        if (!done.get()) {
            done.set(true);
            listener.onError("upstream_error", "stream ended before completion");
        }
    }

    private void event(String event, String data) {
        if (done.get()) {
            return;
        }
        if ("[DONE]".equals(data.trim())) {
            // chat completions' end; the other APIs end with their own event (read before this)
            done.set(true);
            listener.onComplete();
            return;
        }
        JsonNode chunk;
        try {
            chunk = mapper.readTree(data);
        } catch (Exception e) {
            LOG.debugf("ignoring unreadable stream chunk: %s", e.getMessage());
            return;
        }
        reader.event(event, chunk, data);
    }

    /** Reads one API's stream events into listener calls; sets {@code done} when the stream ended (either way). */
    private interface StreamReader {
        void event(String name, JsonNode data, String raw);
    }

    /**
     * {@code /v1/chat/completions}: content deltas, reasoning deltas (vLLM's reasoning parsers stream them as
     * {@code delta.reasoning_content}, renamed {@code delta.reasoning} in vLLM 0.11 with the old name kept; docs.vllm.ai
     * "Reasoning Outputs"), the usage chunk, then {@code [DONE]}. {@code /v1/completions} (legacy text completions) has
     * the same stream with {@code choices[0].text} instead of a delta.
     */
    private final class ChatCompletionsReader implements StreamReader {
        private final ProxyStreamListener listener;
        private final AtomicBoolean done;
        private final boolean text;

        ChatCompletionsReader(ProxyStreamListener listener, AtomicBoolean done, boolean text) {
            this.listener = listener;
            this.done = done;
            this.text = text;
        }

        @Override
        public void event(String name, JsonNode chunk, String raw) {
            if ("error".equals(name) || chunk.hasNonNull("error")) {
                ErrorInfo error = errorInfo(mapper, raw, "inference proxy reported an error");
                done.set(true);
                listener.onError(error.code() != null ? error.code() : "upstream_error", error.message());
                return;
            }
            if ("error".equals(chunk.path("object").asText())) {
                // vLLM's mid-stream error chunk, relayed as is by the proxy
                done.set(true);
                listener.onError(chunk.hasNonNull("type") ? chunk.get("type").asText() : "upstream_error",
                        chunk.path("message").asText("the model server reported an error"));
                return;
            }
            JsonNode choice = chunk.path("choices").path(0);
            JsonNode delta = choice.path("delta");
            JsonNode reasoning = delta.hasNonNull("reasoning_content") ? delta.get("reasoning_content")
                    : delta.path("reasoning");
            if (reasoning.isTextual() && !reasoning.asText().isEmpty()) {
                listener.onReasoning(reasoning.asText());
            }
            JsonNode content = text ? choice.path("text") : delta.path("content");
            if (content.isTextual() && !content.asText().isEmpty()) {
                listener.onDelta(content.asText());
            }
            JsonNode usage = chunk.get("usage");
            if (usage != null && usage.isObject()) {
                listener.onUsage(usage);
            }
        }
    }

    /**
     * {@code /v1/responses}: {@code response.output_text.delta} events; {@code response.completed} (or
     * {@code response.incomplete}, e.g. cut by {@code max_output_tokens}) ends it with the usage;
     * {@code response.failed} and {@code error} end it as failed.
     */
    private final class ResponsesReader implements StreamReader {
        private final ProxyStreamListener listener;
        private final AtomicBoolean done;

        ResponsesReader(ProxyStreamListener listener, AtomicBoolean done) {
            this.listener = listener;
            this.done = done;
        }

        @Override
        public void event(String name, JsonNode data, String raw) {
            String type = data.path("type").asText(name == null ? "" : name);
            switch (type) {
                case "response.output_text.delta" -> {
                    String delta = data.path("delta").asText("");
                    if (!delta.isEmpty()) {
                        listener.onDelta(delta);
                    }
                }
                case "response.reasoning_text.delta", "response.reasoning_summary_text.delta" -> {
                    String delta = data.path("delta").asText("");
                    if (!delta.isEmpty()) {
                        listener.onReasoning(delta);
                    }
                }
                case "response.completed", "response.incomplete" -> {
                    JsonNode usage = data.path("response").get("usage");
                    if (usage != null && usage.isObject()) {
                        listener.onUsage(normalizeUsage(usage));
                    }
                    done.set(true);
                    listener.onComplete();
                }
                case "response.failed" -> {
                    JsonNode error = data.path("response").path("error");
                    done.set(true);
                    listener.onError(error.path("code").asText("upstream_error"),
                            error.path("message").asText("the response failed"));
                }
                case "error" -> {
                    JsonNode error = data.has("error") && data.get("error").isObject() ? data.get("error") : data;
                    done.set(true);
                    listener.onError(error.hasNonNull("code") ? error.get("code").asText()
                            : error.path("type").asText("upstream_error"),
                            error.path("message").asText("inference proxy reported an error"));
                }
                default -> {
                    // created, in_progress, output_item.*, content_part.*, output_text.done: nothing to relay
                }
            }
        }
    }

    /**
     * Anthropic {@code /v1/messages}: {@code content_block_delta} text deltas, usage from {@code message_start} and
     * {@code message_delta}, {@code message_stop} ends it; {@code error} ends it as failed.
     */
    private final class MessagesReader implements StreamReader {
        private final ProxyStreamListener listener;
        private final AtomicBoolean done;
        private final ObjectNode usage = mapper.createObjectNode();

        MessagesReader(ProxyStreamListener listener, AtomicBoolean done) {
            this.listener = listener;
            this.done = done;
        }

        @Override
        public void event(String name, JsonNode data, String raw) {
            String type = data.path("type").asText(name == null ? "" : name);
            switch (type) {
                case "content_block_delta" -> {
                    JsonNode delta = data.path("delta");
                    if ("text_delta".equals(delta.path("type").asText()) && !delta.path("text").asText("").isEmpty()) {
                        listener.onDelta(delta.get("text").asText());
                    } else if ("thinking_delta".equals(delta.path("type").asText())
                            && !delta.path("thinking").asText("").isEmpty()) {
                        // extended thinking: a thinking block streams thinking_delta events before the text block
                        listener.onReasoning(delta.get("thinking").asText());
                    }
                }
                case "message_start" -> merge(data.path("message").path("usage"));
                case "message_delta" -> merge(data.path("usage"));
                case "message_stop" -> {
                    if (!usage.isEmpty()) {
                        listener.onUsage(normalizeUsage(usage));
                    }
                    done.set(true);
                    listener.onComplete();
                }
                case "error" -> {
                    JsonNode error = data.path("error");
                    done.set(true);
                    listener.onError(error.path("type").asText("upstream_error"),
                            error.path("message").asText("inference proxy reported an error"));
                }
                default -> {
                    // ping, content_block_start, content_block_stop
                }
            }
        }

        private void merge(JsonNode part) {
            if (part instanceof ObjectNode o) {
                // a later non-zero count wins over message_start's placeholder zeros
                o.fields().forEachRemaining(e -> {
                    if (!(e.getValue().isNumber() && e.getValue().asDouble() == 0 && usage.has(e.getKey()))) {
                        usage.set(e.getKey(), e.getValue());
                    }
                });
            }
        }
    }

    /**
     * The usage of a Responses or Messages stream with OpenAI's names added ({@code prompt_tokens},
     * {@code completion_tokens}, {@code total_tokens}) so that message metrics read the same fields whatever the
     * endpoint; the proxy's server metrics ({@code time_to_first_token}, ...) are kept as they are.
     */
    static ObjectNode normalizeUsage(JsonNode usage) {
        ObjectNode u = ((ObjectNode) usage).deepCopy();
        if (!u.has("prompt_tokens") && u.path("input_tokens").isNumber()) {
            u.set("prompt_tokens", u.get("input_tokens"));
        }
        if (!u.has("completion_tokens") && u.path("output_tokens").isNumber()) {
            u.set("completion_tokens", u.get("output_tokens"));
        }
        if (!u.has("total_tokens") && u.path("prompt_tokens").isNumber() && u.path("completion_tokens").isNumber()) {
            u.put("total_tokens", u.get("prompt_tokens").asLong() + u.get("completion_tokens").asLong());
        }
        return u;
    }

    record ErrorInfo(String code, String message) {
    }

    /** The code and message of an OpenAI-style error body ({@code {"error":{...}}}), else the fallback message. */
    static ErrorInfo errorInfo(ObjectMapper mapper, String text, String fallback) {
        try {
            JsonNode error = mapper.readTree(text).path("error");
            if (error.isObject()) {
                String message = error.path("message").asText(fallback);
                String code = error.hasNonNull("code") ? error.get("code").asText()
                        : error.hasNonNull("type") ? error.get("type").asText() : null;
                return new ErrorInfo(code, message);
            }
            if (error.isTextual()) {
                return new ErrorInfo(null, error.asText());
            }
        } catch (Exception ignored) {
            // not JSON: fall through
        }
        return new ErrorInfo(null, fallback);
    }
}
