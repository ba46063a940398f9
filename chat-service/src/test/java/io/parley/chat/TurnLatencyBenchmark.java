package io.parley.chat;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Benchmark of what a chat-service turn adds to the first token (issue 17), skipped unless {@code -Dchatbench=true}
 * (as {@link TurnLogBenchmark}): the same streamed answer (the fake proxy's {@code sim-model}: role chunk and first
 * delta at once) asked for directly from the fake proxy ({@code POST /v1/chat/completions}, time to the first content
 * chunk) and through a chat-service SSE turn ({@code POST /v1/chat/sessions/{id}/turns}, time to the first
 * {@code event: delta}: the user message committed, the assistant message and turn started, the proxy called, the delta
 * published), and through a WebSocket turn ({@code /ws/chat/{id}}, {@code {"type":"turn"}} to the first
 * {@code "event":"delta"} message, on a socket opened for the session before the timing, as the playground keeps one),
 * interleaved, a new HTTP connection per call, a new session per turn (outside the timing). Prints {@code BENCH-TURN}
 * lines: p50/p99 and chat-service's added p50/p99 over the direct call, and the test JVM's CPU per call.
 *
 * <pre>
 * mvn -B -o -pl test-support,chat-service test -Dtest=TurnLatencyBenchmark -Dchatbench=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false [-Dchatbench.turns=300] [-Dchatbench.warmup-seconds=20]
 * </pre>
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
@EnabledIfSystemProperty(named = "chatbench", matches = "true")
class TurnLatencyBenchmark {

    private static final Pattern CONTENT = Pattern.compile("\"content\":\"[^\"]");

    @TestHTTPResource("/")
    URL base;

    private HttpClient http;
    private WebSocketClient sockets;
    private int proxyPort;
    private final com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
            .getOperatingSystemMXBean();

    @Test
    void firstDeltaOfATurnAgainstTheProxyDirectly() throws Exception {
        proxyPort = java.net.URI.create(ConfigProvider.getConfig().getValue("fake.upstreams.url", String.class)).getPort();
        Vertx vertx = Vertx.vertx();
        try {
            http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setTcpNoDelay(true));
            sockets = vertx.createWebSocketClient(new WebSocketClientOptions().setTcpNoDelay(true));
            long warmupEnd = System.nanoTime()
                    + TimeUnit.SECONDS.toNanos(Integer.getInteger("chatbench.warmup-seconds", 20));
            int warm = 0;
            while (System.nanoTime() < warmupEnd) {
                direct();
                turn(Api.createSession(Api.ALICE, "sim-model"));
                socketTurn(Api.createSession(Api.ALICE, "sim-model"));
                warm++;
            }
            print("SETUP warm-up %d calls per path; load average %.2f", warm, os.getSystemLoadAverage());
            int n = Integer.getInteger("chatbench.turns", 300);
            List<Double> direct = new ArrayList<>();
            List<Double> turns = new ArrayList<>();
            List<Double> socketTurns = new ArrayList<>();
            long cpuDirect = 0;
            long cpuTurn = 0;
            long cpuSocket = 0;
            for (int i = 0; i < n; i++) {
                String session = Api.createSession(Api.ALICE, "sim-model");
                String socketSession = Api.createSession(Api.ALICE, "sim-model");
                for (int k = 0; k < 3; k++) {
                    int path = (k + i) % 3; // rotate which path goes first
                    long cpu0 = os.getProcessCpuTime();
                    if (path == 0) {
                        turns.add(turn(session));
                        cpuTurn += os.getProcessCpuTime() - cpu0;
                    } else if (path == 1) {
                        direct.add(direct());
                        cpuDirect += os.getProcessCpuTime() - cpu0;
                    } else {
                        socketTurns.add(socketTurn(socketSession));
                        cpuSocket += os.getProcessCpuTime() - cpu0;
                    }
                }
            }
            print("BENCH-TURN direct to the proxy  n=%d first content p50=%.3f p99=%.3f ms | test JVM CPU per call %.0f us",
                    direct.size(), pct(direct, 50), pct(direct, 99), cpuDirect / 1e3 / direct.size());
            print("BENCH-TURN chat-service SSE turn n=%d first delta   p50=%.3f p99=%.3f ms | added p50=%.3f p99=%.3f ms | "
                    + "test JVM CPU per call %.0f us (chat-service, its PostgreSQL writes' client side, the fake proxy)",
                    turns.size(), pct(turns, 50), pct(turns, 99), pct(turns, 50) - pct(direct, 50),
                    pct(turns, 99) - pct(direct, 99), cpuTurn / 1e3 / turns.size());
            print("BENCH-TURN chat-service WS turn  n=%d first delta   p50=%.3f p99=%.3f ms | added p50=%.3f p99=%.3f ms | "
                    + "test JVM CPU per call %.0f us (socket opened before the timing)", socketTurns.size(),
                    pct(socketTurns, 50), pct(socketTurns, 99), pct(socketTurns, 50) - pct(direct, 50),
                    pct(socketTurns, 99) - pct(direct, 99), cpuSocket / 1e3 / socketTurns.size());
            print("SETUP load average at the end %.2f", os.getSystemLoadAverage());
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private double direct() throws Exception {
        JsonObject body = new JsonObject().put("model", "sim-model").put("stream", true).put("messages",
                new JsonArray().add(new JsonObject().put("role", "user").put("content", "hello")));
        return firstMatch(new RequestOptions().setPort(proxyPort).setURI("/v1/chat/completions"), body.encode(),
                line -> line.startsWith("data:") && CONTENT.matcher(line).find());
    }

    private double turn(String session) throws Exception {
        return firstMatch(new RequestOptions().setPort(base.getPort()).setURI("/v1/chat/sessions/" + session + "/turns")
                .putHeader("Accept", "text/event-stream"), "{\"content\":\"hello\"}",
                line -> line.startsWith("event:") && line.substring(6).trim().equals("delta"));
    }

    /**
     * A turn over a WebSocket opened for the session beforehand: milliseconds from sending {@code {"type":"turn"}} to the
     * first {@code delta} message; waits for {@code message_end}, then closes the socket (outside the timing).
     */
    private double socketTurn(String session) throws Exception {
        WebSocket ws = sockets.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(base.getPort())
                .setURI("/ws/chat/" + session).addHeader("Authorization", "Bearer " + Api.ALICE))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        CompletableFuture<Double> first = new CompletableFuture<>();
        CompletableFuture<Void> end = new CompletableFuture<>();
        long[] start = { 0 };
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        ws.textMessageHandler(text -> {
            long now = System.nanoTime();
            seen.add(text.length() > 80 ? text.substring(0, 80) : text);
            String event = new JsonObject(text).getString("event");
            if ("delta".equals(event) && !first.isDone()) {
                first.complete((now - start[0]) / 1e6);
            } else if ("message_end".equals(event)) {
                end.complete(null);
            } else if ("error".equals(event)) {
                IllegalStateException e = new IllegalStateException("error event " + text + ": the run is void");
                first.completeExceptionally(e);
                end.completeExceptionally(e);
            }
        });
        start[0] = System.nanoTime();
        ws.writeTextMessage("{\"type\":\"turn\",\"content\":\"hello\"}");
        try {
            double t = first.get(30, TimeUnit.SECONDS);
            end.get(30, TimeUnit.SECONDS);
            return t;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("no delta and message_end within 30 s; messages: " + seen, e);
        } finally {
            ws.close();
        }
    }

    /** Milliseconds from sending the request to the first line matching; the answer is read to its end. */
    private double firstMatch(RequestOptions options, String body, java.util.function.Predicate<String> first)
            throws Exception {
        CompletableFuture<Double> result = new CompletableFuture<>();
        options.setMethod(HttpMethod.POST).setHost("127.0.0.1").putHeader("Content-Type", "application/json")
                .putHeader("Authorization", "Bearer " + Api.ALICE);
        long start = System.nanoTime();
        http.request(options).onFailure(result::completeExceptionally).onSuccess(req -> {
            req.response().onFailure(result::completeExceptionally).onSuccess(res -> {
                if (res.statusCode() != 200) {
                    result.completeExceptionally(new IllegalStateException("status " + res.statusCode()));
                    return;
                }
                double[] at = { -1 };
                StringBuilder pending = new StringBuilder();
                res.handler(chunk -> {
                    long now = System.nanoTime();
                    pending.append(chunk.toString());
                    int nl;
                    while ((nl = pending.indexOf("\n")) >= 0) {
                        String line = pending.substring(0, nl).trim();
                        pending.delete(0, nl + 1);
                        if (at[0] < 0 && first.test(line)) {
                            at[0] = (now - start) / 1e6;
                        }
                    }
                });
                res.exceptionHandler(result::completeExceptionally);
                res.endHandler(v -> {
                    if (at[0] < 0) {
                        result.completeExceptionally(new IllegalStateException("no first token: the run is void"));
                    } else {
                        result.complete(at[0]);
                    }
                });
            });
            req.end(body);
        });
        return result.get(30, TimeUnit.SECONDS);
    }

    private static double pct(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100 * sorted.size()) - 1));
    }

    private static void print(String format, Object... args) {
        System.out.println(String.format(java.util.Locale.ROOT, format, args));
        System.out.flush();
    }
}
