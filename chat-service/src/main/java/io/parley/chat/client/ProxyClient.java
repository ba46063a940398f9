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
            public void onReasoning(String reasoning) {
                if (!call.cancelled() && !ended.get()) {
                    listener.onReasoning(reasoning);
                }
            }

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
                ProxyStreamReader.ErrorInfo error = ProxyStreamReader.errorInfo(mapper, text,
                        "inference proxy answered HTTP " + response.statusCode());
                listener.onError(error.code() != null ? error.code() : "http_" + response.statusCode(), error.message());
            });
            return;
        }
        ProxyStreamReader reader = new ProxyStreamReader(mode, mapper, listener);
        response.handler(reader::feed);
        response.exceptionHandler(e -> listener.onError("upstream_error", "stream interrupted: " + describe(e)));
        response.endHandler(v -> reader.end());
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
