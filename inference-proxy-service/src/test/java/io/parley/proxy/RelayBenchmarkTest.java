package io.parley.proxy;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import io.parley.proxy.stream.ChunkInspector;
import io.parley.proxy.stream.SseEventSplitter;
import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Benchmark harness, not a test (skipped unless {@code -Dparley.bench=true}). Starts the packaged model simulator
 * ({@code model-simulator/target/quarkus-app/quarkus-run.jar}) as a child process on loopback with benchmark models, and
 * measures from one client, direct to the simulator and through the (in-process) proxy, interleaved: added TTFT p50/p99
 * at c=1 and c=256, added inter-token gap p99, paced streams held at N concurrent (lost and late frames), proxy CPU per
 * 1,000 relayed tokens (process CPU minus the benchmark client's threads) and heap per open stream. Prints lines
 * starting with {@code BENCH}. Everything it starts is stopped at the end.
 *
 * <pre>
 * mvn -B -q -pl model-simulator package -DskipTests   # once
 * mvn -B -pl inference-proxy-service verify -Dtest=RelayBenchmarkTest -Dparley.bench=true [-Dparley.bench.max-streams=1024]
 * </pre>
 */
@QuarkusTest
@TestProfile(RelayBenchmarkTest.BenchProfile.class)
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
@EnabledIfSystemProperty(named = "parley.bench", matches = "true")
class RelayBenchmarkTest {

    /** Timeouts long enough for the idle streams of the memory measurement. */
    public static class BenchProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("parley.proxy.upstream.first-token-timeout", "120s", "parley.proxy.upstream.idle-timeout",
                    "120s");
        }
    }

    private static final int ITL_MS = 50;
    private static final int PACED_TOKENS = 40;

    @TestHTTPResource("/")
    URL base;

    private final Set<Long> clientThreads = ConcurrentHashMap.newKeySet();
    private HttpClient client;
    private String token;
    private int simPort;

    @Test
    void measureRelay() throws Exception {
        Path jar = Path.of("..", "model-simulator", "target", "quarkus-app", "quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("build the simulator first: mvn -B -q -pl model-simulator package -DskipTests");
        }
        try (ServerSocket s = new ServerSocket(0)) {
            simPort = s.getLocalPort();
        }
        Process sim = new ProcessBuilder("java", "-Xmx512m", "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + simPort, "-Dquarkus.log.level=WARN",
                "-Dsimulator.models.bench-fast.ttft=0ms", "-Dsimulator.models.bench-fast.inter-token-latency=0ms",
                "-Dsimulator.models.bench-fast.default-max-tokens=8",
                "-Dsimulator.models.bench-paced.ttft=0ms",
                "-Dsimulator.models.bench-paced.inter-token-latency=" + ITL_MS + "ms",
                "-Dsimulator.models.bench-paced.default-max-tokens=" + PACED_TOKENS,
                "-Dsimulator.models.bench-idle.ttft=0ms", "-Dsimulator.models.bench-idle.inter-token-latency=60000ms",
                "-Dsimulator.models.bench-idle.default-max-tokens=2", "-jar", jar.toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(new File("target/bench-simulator.log")).start();
        Vertx vertx = Vertx.vertx();
        try {
            waitForSimulator();
            String simUrl = "http://127.0.0.1:" + simPort;
            for (String m : List.of("bench-fast", "bench-paced", "bench-idle")) {
                FakeServices.announce(FakeServices.model(m, "Ready", null, simUrl));
            }
            token = ProxyClient.bearer();
            client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                    new PoolOptions().setHttp1MaxSize(4096).setMaxWaitQueueSize(-1));
            waitForProxyRoute();
            int maxStreams = Integer.getInteger("parley.bench.max-streams", 1024);

            // warm-up: JIT both paths
            for (int i = 0; i < 300; i++) {
                run(false, "bench-fast", 1);
                run(true, "bench-fast", 1);
            }
            ttft(1, 400);
            ttft(256, 6);
            interTokenGaps(32, 3);
            for (int n : new int[] { 256, 512, 1024 }) {
                if (n <= maxStreams) {
                    capacity(n);
                }
            }
            memoryPerOpenStream(Math.min(1024, maxStreams));
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            sim.destroy();
            if (!sim.waitFor(10, TimeUnit.SECONDS)) {
                sim.destroyForcibly();
            }
        }
    }

    // ---- measurements -----------------------------------------------------------------------------------------

    private void ttft(int concurrency, int rounds) throws Exception {
        List<Double> direct = new ArrayList<>();
        List<Double> proxied = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            boolean proxyFirst = r % 2 == 1; // alternate the order so neither path always goes first
            List<Result> a = run(proxyFirst, "bench-fast", concurrency);
            List<Result> b = run(!proxyFirst, "bench-fast", concurrency);
            (proxyFirst ? proxied : direct).addAll(a.stream().map(x -> x.ttftMs).toList());
            (proxyFirst ? direct : proxied).addAll(b.stream().map(x -> x.ttftMs).toList());
        }
        print("TTFT c=%d n=%d ms: direct p50=%.3f p99=%.3f | proxied p50=%.3f p99=%.3f | added p50=%.3f p99=%.3f",
                concurrency, direct.size(), pct(direct, 50), pct(direct, 99), pct(proxied, 50), pct(proxied, 99),
                pct(proxied, 50) - pct(direct, 50), pct(proxied, 99) - pct(direct, 99));
    }

    private void interTokenGaps(int concurrency, int rounds) throws Exception {
        List<Double> direct = new ArrayList<>();
        List<Double> proxied = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (Result x : run(false, "bench-paced", concurrency)) {
                direct.addAll(x.gapsMs);
            }
            for (Result x : run(true, "bench-paced", concurrency)) {
                proxied.addAll(x.gapsMs);
            }
        }
        print("ITL %dms c=%d gaps=%d ms: direct p50=%.3f p99=%.3f | proxied p50=%.3f p99=%.3f | added p99=%.3f",
                ITL_MS, concurrency, direct.size(), pct(direct, 50), pct(direct, 99), pct(proxied, 50),
                pct(proxied, 99), pct(proxied, 99) - pct(direct, 99));
    }

    private void capacity(int n) throws Exception {
        Stats direct = stats(run(false, "bench-paced", n), n);
        long cpu0 = proxyCpuNanos();
        long loops0 = proxyEventLoopCpuNanos();
        Stats proxied = stats(run(true, "bench-paced", n), n);
        long cpuNanos = proxyCpuNanos() - cpu0;
        long loopNanos = proxyEventLoopCpuNanos() - loops0;
        print("STREAMS n=%d itl=%dms tokens=%d: direct complete=%d lost=%d late(>%dms)=%d gap p99=%.1f | proxied "
                + "complete=%d lost=%d late=%d gap p99=%.1f | proxy CPU per 1000 tokens: %.1f ms on its event loops, "
                + "%.1f ms whole process minus client (%d tokens)", n, ITL_MS, PACED_TOKENS, direct.complete,
                direct.lost, 2 * ITL_MS, direct.late, direct.gapP99, proxied.complete, proxied.lost, proxied.late,
                proxied.gapP99, loopNanos / 1e6 / proxied.tokens * 1000, cpuNanos / 1e6 / proxied.tokens * 1000,
                proxied.tokens);
    }

    private void memoryPerOpenStream(int n) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = settledHeap(memory);
        List<HttpClientRequest> open = new ArrayList<>();
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CompletableFuture<Void> first = new CompletableFuture<>();
            started.add(first);
            client.request(options(true)).onFailure(first::completeExceptionally).onSuccess(req -> {
                synchronized (open) {
                    open.add(req);
                }
                req.response().onFailure(first::completeExceptionally)
                        .onSuccess(res -> res.handler(chunk -> first.complete(null)));
                req.end(body("bench-idle").encode());
            });
        }
        CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        long during = settledHeap(memory);
        synchronized (open) {
            open.forEach(r -> r.reset());
        }
        print("MEMORY %d open streams (headers and role chunk relayed, waiting for the next token): heap +%.1f MiB = "
                + "%.1f KiB per stream (in-process: includes the benchmark client's own side of each stream)", n,
                (during - before) / 1048576.0, (during - before) / 1024.0 / n);
    }

    // ---- the client ---------------------------------------------------------------------------------------------

    private record Result(double ttftMs, int contentEvents, boolean complete, List<Double> gapsMs) {
    }

    private record Stats(int complete, long lost, long late, double gapP99, long tokens) {
    }

    private static Stats stats(List<Result> results, int n) {
        long tokens = results.stream().mapToLong(r -> r.contentEvents).sum();
        int complete = (int) results.stream().filter(r -> r.complete && r.contentEvents == PACED_TOKENS).count();
        List<Double> gaps = new ArrayList<>();
        results.forEach(r -> gaps.addAll(r.gapsMs));
        long late = gaps.stream().filter(g -> g > 2 * ITL_MS).count();
        return new Stats(complete, (long) n * PACED_TOKENS - tokens, late, pct(gaps, 99), tokens);
    }

    private List<Result> run(boolean viaProxy, String model, int concurrency) throws Exception {
        List<CompletableFuture<Result>> all = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            all.add(stream(viaProxy, model));
        }
        List<Result> out = new ArrayList<>();
        for (CompletableFuture<Result> f : all) {
            out.add(f.get(120, TimeUnit.SECONDS));
        }
        return out;
    }

    private RequestOptions options(boolean viaProxy) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(viaProxy ? base.getPort() : simPort).setURI("/v1/chat/completions")
                .putHeader("Content-Type", "application/json");
        if (viaProxy) {
            options.putHeader("Authorization", token);
        }
        return options;
    }

    private static JsonObject body(String model) {
        return new JsonObject().put("model", model).put("stream", true).put("messages",
                new JsonArray().add(new JsonObject().put("role", "user").put("content", "Say something.")));
    }

    /** One streamed call: time to the first content event, content events, and the gaps between them. */
    private CompletableFuture<Result> stream(boolean viaProxy, String model) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        String payload = body(model).encode();
        long start = System.nanoTime();
        client.request(options(viaProxy)).onFailure(result::completeExceptionally).onSuccess(req -> {
            req.response().onFailure(result::completeExceptionally).onSuccess(res -> {
                SseEventSplitter splitter = new SseEventSplitter();
                long[] last = { -1 };
                double[] ttft = { -1 };
                int[] events = { 0 };
                List<Double> gaps = new ArrayList<>();
                res.handler(chunk -> {
                    long now = System.nanoTime();
                    clientThreads.add(Thread.currentThread().getId());
                    splitter.feed(chunk, event -> {
                        if ((ChunkInspector.inspect(event) & ChunkInspector.CONTENT) != 0) {
                            if (last[0] < 0) {
                                ttft[0] = (now - start) / 1e6;
                            } else {
                                gaps.add((now - last[0]) / 1e6);
                            }
                            last[0] = now;
                            events[0]++;
                        }
                    });
                });
                res.exceptionHandler(e -> result.complete(new Result(ttft[0], events[0], false, gaps)));
                res.endHandler(v -> result.complete(new Result(ttft[0], events[0], res.statusCode() == 200, gaps)));
            });
            req.end(payload);
        });
        return result;
    }

    // ---- plumbing -----------------------------------------------------------------------------------------------

    /** CPU of this process minus the benchmark client's threads: the proxy, its GC, and the idle fakes. */
    private long proxyCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long clientCpu = 0;
        for (long id : clientThreads) {
            long t = threads.getThreadCpuTime(id);
            if (t > 0) {
                clientCpu += t;
            }
        }
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() - clientCpu;
    }

    /**
     * CPU of the proxy's own event-loop threads (Quarkus's Vert.x; the client's loops share the name and are excluded):
     * the relay itself, without GC, JIT, the usage outbox writes and the per-call log line.
     */
    private long proxyEventLoopCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith("vert.x-eventloop-thread-")
                    && !clientThreads.contains(info.getThreadId()) && !FakeServices.ownsThread(info.getThreadId())) {
                long t = threads.getThreadCpuTime(info.getThreadId());
                total += Math.max(0, t);
            }
        }
        return total;
    }

    private static long settledHeap(MemoryMXBean memory) throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            TimeUnit.MILLISECONDS.sleep(300);
            best = Math.min(best, memory.getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    private void waitForSimulator() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + simPort
                        + "/v1/models")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (Exception e) {
                // not up yet
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new IllegalStateException("simulator did not start, see target/bench-simulator.log");
    }

    private void waitForProxyRoute() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Result r = stream(true, "bench-fast").get(10, TimeUnit.SECONDS);
            if (r.complete && r.contentEvents > 0) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new IllegalStateException("the proxy never routed bench-fast to the simulator");
    }

    private static void print(String format, Object... args) {
        System.out.printf("BENCH " + format + " [load %s]%n", concat(args, loadAverage()));
    }

    private static Object[] concat(Object[] args, String extra) {
        Object[] all = Arrays.copyOf(args, args.length + 1);
        all[args.length] = extra;
        return all;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).substring(0, 14).trim();
        } catch (Exception e) {
            return "?";
        }
    }

    private static double pct(List<Double> values, int p) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).filter(v -> v >= 0).toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }
}
