package io.parley.chat.client;

import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.parley.chat.config.ChatConfig;
import io.quarkus.logging.Log;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Streams a turn from inference-proxy-service with a non-blocking Vert.x client ({@code /v1/chat/completions},
 * {@code /v1/responses} or {@code /v1/messages}): every delta is handed on as it arrives, nothing is buffered. The call carries
 * the user's own access token so the proxy attributes it to
 * the user. {@link Call#cancel()} resets the request, which closes the upstream connection.
 */
@ApplicationScoped
public class ProxyClient {

    /** A running call; cancel closes it (idempotent). */
    public static final class Call {
        private final AtomicBoolean cancelled = new AtomicBoolean();
        private volatile HttpClientRequest request;

        public void cancel() {
            if (cancelled.compareAndSet(false, true)) {
                HttpClientRequest r = request;
                if (r != null) {
                    r.reset();
                }
            }
        }

        public boolean cancelled() {
            return cancelled.get();
        }
    }

    private final ChatConfig config;
    private final ObjectMapper mapper;
    private final HttpClient client;

    public ProxyClient(ChatConfig config, ObjectMapper mapper, Vertx vertx) {
        this.config = config;
        this.mapper = mapper;
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) config.proxy().connectTimeout().toMillis())
                .setKeepAlive(true));
    }

    @PreDestroy
    void close() {
        client.close();
    }

    public String completionsUrl() {
        return url(EndpointMode.CHAT_COMPLETIONS);
    }

    public String url(EndpointMode mode) {
        return stripSlash(config.proxy().url()) + mode.path();
    }

    /**
     * Starts the streaming call; events go to the listener on a Vert.x event loop, the same events whatever the
     * endpoint: its stream is read as chat completions chunks, Responses events or Anthropic Messages events.
     */
    public Call stream(ProxyRequest request, String accessToken, ProxyStreamListener listener) {
        Call call = new Call();
        AtomicBoolean ended = new AtomicBoolean();
        ProxyStreamListener guarded = new ProxyStreamListener() {
            @Override
            public void onDelta(String content) {
                if (!call.cancelled() && !ended.get()) {
                    listener.onDelta(content);
                }
            }

            @Override
            public void onUsage(JsonNode usage) {
                if (!call.cancelled() && !ended.get()) {
                    listener.onUsage(usage);
                }
            }

            @Override
            public void onComplete() {
                if (!call.cancelled() && ended.compareAndSet(false, true)) {
                    listener.onComplete();
                }
            }

            @Override
            public void onError(String code, String message) {
                if (!call.cancelled() && ended.compareAndSet(false, true)) {
                    listener.onError(code, message);
                }
            }
        };

        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(url(request.mode()))
                .setIdleTimeout(config.proxy().idleTimeout().toMillis())
                .putHeader("Authorization", "Bearer " + accessToken)
                .putHeader("Content-Type", "application/json")
                .putHeader("Accept", "text/event-stream");
        request.headers().forEach(options::putHeader);
        Buffer payload = write(request.body());
        client.request(options)
                .onFailure(e -> guarded.onError("proxy_unavailable", "inference proxy unreachable: " + e.getMessage()))
                .onSuccess(http -> {
                    call.request = http;
                    if (call.cancelled()) {
                        http.reset();
                        return;
                    }
                    http.send(payload)
                            .onFailure(e -> guarded.onError("upstream_error", "inference proxy call failed: "
                                    + e.getMessage()))
                            .onSuccess(response -> handle(request.mode(), response, guarded));
                });
        return call;
    }

    private void handle(EndpointMode mode, HttpClientResponse response, ProxyStreamListener listener) {
        if (response.statusCode() != 200) {
            response.body().onComplete(ar -> {
                String text = ar.succeeded() ? ar.result().toString() : "";
                ErrorInfo error = errorInfo(text, "inference proxy answered HTTP " + response.statusCode());
                listener.onError(error.code != null ? error.code : "http_" + response.statusCode(), error.message);
            });
            return;
        }
        AtomicBoolean done = new AtomicBoolean();
        StreamReader reader = switch (mode) {
            case RESPONSES -> new ResponsesReader(listener, done);
            case MESSAGES -> new MessagesReader(listener, done);
            default -> new ChatCompletionsReader(listener, done);
        };
        SseParser parser = new SseParser((event, data) -> {
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
                Log.debugf("ignoring unreadable stream chunk: %s", e.getMessage());
                return;
            }
            reader.event(event, chunk, data);
        });
        response.handler(parser::feed);
        response.exceptionHandler(e -> listener.onError("upstream_error", "stream interrupted: " + describe(e)));
        response.endHandler(v -> {
            parser.end();
            if (!done.get()) {
                listener.onError("upstream_error", "stream ended before completion");
            }
        });
    }

    /** Reads one API's stream events into listener calls; sets {@code done} when the stream ended (either way). */
    private interface StreamReader {
        void event(String name, JsonNode data, String raw);
    }

    /** {@code /v1/chat/completions}: content deltas, the usage chunk, then {@code [DONE]}. */
    private final class ChatCompletionsReader implements StreamReader {
        private final ProxyStreamListener listener;
        private final AtomicBoolean done;

        ChatCompletionsReader(ProxyStreamListener listener, AtomicBoolean done) {
            this.listener = listener;
            this.done = done;
        }

        @Override
        public void event(String name, JsonNode chunk, String raw) {
            if ("error".equals(name) || chunk.hasNonNull("error")) {
                ErrorInfo error = errorInfo(raw, "inference proxy reported an error");
                done.set(true);
                listener.onError(error.code != null ? error.code : "upstream_error", error.message);
                return;
            }
            if ("error".equals(chunk.path("object").asText())) {
                // vLLM's mid-stream error chunk, relayed as is by the proxy
                done.set(true);
                listener.onError(chunk.hasNonNull("type") ? chunk.get("type").asText() : "upstream_error",
                        chunk.path("message").asText("the model server reported an error"));
                return;
            }
            JsonNode content = chunk.path("choices").path(0).path("delta").path("content");
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

    private record ErrorInfo(String code, String message) {
    }

    private ErrorInfo errorInfo(String text, String fallback) {
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

    private static String describe(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /**
     * The body as UTF-8 bytes, written straight into a chain of buffers: no intermediate String, no final copy of a
     * body that may carry 100 MB of attachments (their base64 is produced while writing).
     */
    private Buffer write(ObjectNode body) {
        ByteBuf out = Unpooled.compositeBuffer(Integer.MAX_VALUE);
        try (ByteBufOutputStream stream = new ByteBufOutputStream(out)) {
            mapper.writeValue((java.io.OutputStream) stream, body);
        } catch (Exception e) {
            out.release();
            throw new IllegalStateException(e);
        }
        return Buffer.buffer(out);
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
