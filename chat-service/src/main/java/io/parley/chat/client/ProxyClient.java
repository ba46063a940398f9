package io.parley.chat.client;

import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
 * Streams chat completions from inference-proxy-service with a non-blocking Vert.x client: every delta is handed on
 * as it arrives, nothing is buffered. The call carries the user's own access token so the proxy attributes it to
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
        return stripSlash(config.proxy().url()) + "/v1/chat/completions";
    }

    /** Starts the streaming call; events go to the listener on a Vert.x event loop. */
    public Call stream(ObjectNode body, String accessToken, String correlationId, ProxyStreamListener listener) {
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
                .setAbsoluteURI(completionsUrl())
                .setIdleTimeout(config.proxy().idleTimeout().toMillis())
                .putHeader("Authorization", "Bearer " + accessToken)
                .putHeader("Content-Type", "application/json")
                .putHeader("Accept", "text/event-stream")
                .putHeader("X-Correlation-Id", correlationId);
        Buffer payload = Buffer.buffer(write(body));
        client.request(options)
                .onFailure(e -> guarded.onError("proxy_unavailable", "inference proxy unreachable: " + e.getMessage()))
                .onSuccess(request -> {
                    call.request = request;
                    if (call.cancelled()) {
                        request.reset();
                        return;
                    }
                    request.send(payload)
                            .onFailure(e -> guarded.onError("upstream_error", "inference proxy call failed: "
                                    + e.getMessage()))
                            .onSuccess(response -> handle(response, guarded));
                });
        return call;
    }

    private void handle(HttpClientResponse response, ProxyStreamListener listener) {
        if (response.statusCode() != 200) {
            response.body().onComplete(ar -> {
                String text = ar.succeeded() ? ar.result().toString() : "";
                ErrorInfo error = errorInfo(text, "inference proxy answered HTTP " + response.statusCode());
                listener.onError(error.code != null ? error.code : "http_" + response.statusCode(), error.message);
            });
            return;
        }
        AtomicBoolean done = new AtomicBoolean();
        SseParser parser = new SseParser((event, data) -> {
            if ("[DONE]".equals(data.trim())) {
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
            if ("error".equals(event) || chunk.hasNonNull("error")) {
                ErrorInfo error = errorInfo(data, "inference proxy reported an error");
                listener.onError(error.code != null ? error.code : "upstream_error", error.message);
                return;
            }
            if ("error".equals(chunk.path("object").asText())) {
                // vLLM's mid-stream error chunk, relayed as is by the proxy
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

    private String write(ObjectNode body) {
        try {
            return mapper.writeValueAsString(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
