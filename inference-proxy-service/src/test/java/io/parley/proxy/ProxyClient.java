package io.parley.proxy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.parley.testsupport.TestTokens;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/** A raw HTTP client for the proxy that records each chunk as it arrives and can hang up mid-stream. */
public final class ProxyClient {

    private static final Vertx VERTX = Vertx.vertx();
    private static final HttpClient CLIENT = VERTX.createHttpClient();
    private static final Pattern CONTENT = Pattern.compile("\"content\":\"[^\"]");

    public record Result(int status, MultiMap headers, List<Buffer> chunks, String body) {
        public String header(String name) {
            return headers.get(name);
        }
    }

    private ProxyClient() {
    }

    public static String bearer() {
        return "Bearer " + TestTokens.user("alice", "user");
    }

    /** Posts and collects the whole answer, chunk by chunk. */
    public static Result post(int port, String path, JsonObject body, Map<String, String> headers) throws Exception {
        return send(port, path, body, headers, -1).get(30, TimeUnit.SECONDS);
    }

    /** Posts and closes the connection once {@code closeAfterContent} content events arrived (0: right after headers). */
    public static CompletableFuture<Result> send(int port, String path, JsonObject body, Map<String, String> headers,
            int closeAfterContent) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                .setURI(path).putHeader("Content-Type", "application/json");
        headers.forEach(options::putHeader);
        CLIENT.request(options).onFailure(result::completeExceptionally).onSuccess(req -> {
            req.response().onFailure(result::completeExceptionally).onSuccess(res -> collect(req, res, closeAfterContent,
                    result));
            req.end(body.encode());
        });
        return result;
    }

    /** Posts a request that is closed by the client before any answer (the upstream never answers). */
    public static CompletableFuture<Void> postAndCloseBeforeAnswer(int port, String path, JsonObject body,
            Map<String, String> headers, CompletableFuture<Void> closeSignal) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                .setURI(path).putHeader("Content-Type", "application/json");
        headers.forEach(options::putHeader);
        CLIENT.request(options).onFailure(sent::completeExceptionally).onSuccess(req -> {
            req.end(body.encode()).onComplete(v -> sent.complete(null));
            closeSignal.thenRun(() -> req.connection().close());
        });
        return sent;
    }

    private static void collect(HttpClientRequest req, HttpClientResponse res, int closeAfterContent,
            CompletableFuture<Result> result) {
        List<Buffer> chunks = new CopyOnWriteArrayList<>();
        Buffer all = Buffer.buffer();
        int[] content = { 0 };
        res.handler(chunk -> {
            chunks.add(chunk.copy());
            all.appendBuffer(chunk);
            Matcher m = CONTENT.matcher(chunk.toString(StandardCharsets.UTF_8));
            while (m.find()) {
                content[0]++;
                FakeServices.clientSeenContent.incrementAndGet();
            }
            if (closeAfterContent >= 0 && content[0] >= closeAfterContent && !result.isDone()) {
                result.complete(new Result(res.statusCode(), res.headers(), chunks, all.toString(StandardCharsets.UTF_8)));
                req.connection().close();
            }
        });
        res.exceptionHandler(e -> {
            if (!result.isDone()) {
                result.complete(new Result(res.statusCode(), res.headers(), chunks, all.toString(StandardCharsets.UTF_8)));
            }
        });
        res.endHandler(v -> result.complete(new Result(res.statusCode(), res.headers(), chunks,
                all.toString(StandardCharsets.UTF_8))));
        if (closeAfterContent == 0) {
            result.complete(new Result(res.statusCode(), res.headers(), chunks, ""));
            req.connection().close();
        }
    }
}
