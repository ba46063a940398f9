package io.parley.proxy.bench;

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

import io.parley.proxy.FakeServices;
import io.parley.proxy.ProxyClient;
import io.parley.proxy.sse.ChunkInspector;
import io.parley.proxy.sse.SseEventSplitter;
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
 * <p>
 * With {@code -Dparley.bench.peer=portkey} it also installs the Portkey AI Gateway with npm into
 * {@code target/bench-peers} ({@link PortkeyPeer}), starts it pinned to the proxy's CPU and measures it in the same run,
 * interleaved with the direct and Parley paths ({@code BENCH ...-PEER} lines). Without that property npm is never run.
 *
 * <pre>
 * mvn -B -q -pl model-simulator package -DskipTests   # once
 * mvn -B -pl inference-proxy-service verify -Dtest=RelayBenchmarkTest -Dparley.bench=true [-Dparley.bench.max-streams=1024]
 *     [-Dparley.bench.proxy=process] [-Dparley.bench.peer=portkey]
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

    @jakarta.inject.Inject
    Vertx proxyVertx;

    private final Set<Long> clientThreads = ConcurrentHashMap.newKeySet();
    private HttpClient client;
    private String token;
    private int simPort;
    /** Where proxied calls go: the in-process proxy, or the packaged proxy started as a pinned child process. */
    private int proxyPort;
    private Process proxyProcess;
    private Process simulator;
    /** With {@code -Dparley.bench.peer=portkey}: the Portkey AI Gateway, measured in the same run as a peer. */
    private PortkeyPeer peer;

    /** Where a benchmark call goes: straight to the simulator, through Parley's proxy, or through the peer gateway. */
    enum Via {
        DIRECT,
        PARLEY,
        PEER,
        FLOOR
    }

    /** When the proxy process was started, and when it first streamed a call (its readiness for the curve). */
    private long proxyStartedNanos;
    private long proxyRoutedNanos;

    /** With {@code -Dparley.bench.floor=true}: the byte relay of {@code src/test/c/tcp_relay.c}, the floor of any proxy. */
    private Process floor;
    private int floorPort;

    @Test
    void measureRelay() throws Exception {
        Path jar = Path.of("..", "model-simulator", "target", "quarkus-app", "quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("build the simulator first: mvn -B -q -pl model-simulator package -DskipTests");
        }
        try (ServerSocket s = new ServerSocket(0)) {
            simPort = s.getLocalPort();
        }
        Process sim = simulator = new ProcessBuilder("java", "-Xmx512m", "-Dquarkus.http.host=127.0.0.1",
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
        for (io.netty.util.concurrent.EventExecutor loop : vertx.nettyEventLoopGroup()) {
            loop.submit(() -> clientThreads.add(Thread.currentThread().getId())).get(10, TimeUnit.SECONDS);
        }
        try {
            waitForSimulator();
            String simUrl = "http://127.0.0.1:" + simPort;
            for (String m : List.of("bench-fast", "bench-paced", "bench-idle")) {
                FakeServices.announce(FakeServices.model(m, "Ready", null, simUrl));
            }
            token = ProxyClient.bearer();
            client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                    new PoolOptions().setHttp1MaxSize(4096).setMaxWaitQueueSize(-1));
            proxyPort = base.getPort();
            waitForProxyRoute();
            if (processMode()) {
                // the client (this JVM) and the simulator on the other CPU, the proxy alone on its own
                new ProcessBuilder("taskset", "-a", "-p", "-c", othersCpu(), String.valueOf(ProcessHandle.current().pid()))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                        .waitFor(10, TimeUnit.SECONDS);
                new ProcessBuilder("taskset", "-a", "-p", "-c", othersCpu(), String.valueOf(sim.pid()))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                        .waitFor(10, TimeUnit.SECONDS);
                proxyProcess = startProxyProcess();
            }
            if (peerRequested()) {
                peer = startPeer();
            }
            if (Boolean.getBoolean("parley.bench.floor")) {
                floor = startFloor();
            }
            print("SETUP proxy %s, native transport (epoll) %s, %d CPUs visible to this JVM",
                    proxyProcess != null ? "process pinned to CPU " + proxyCpu() : "in-process",
                    proxyVertx.isNativeTransportEnabled(), Runtime.getRuntime().availableProcessors());
            if (proxyProcess != null && Boolean.getBoolean("parley.bench.warmup-curve")) {
                warmupCurve();
                return;
            }

            // warm-up: JIT every path at every concurrency the measured phases use (connections for 1,024 streams
            // included), for at least parley.bench.warmup-seconds and, with the proxy as a process, until its JIT
            // compilers used under 2 % of its CPU in the last round (at most parley.bench.warmup-max-seconds): a short
            // warm-up left C2 compiling through the measured phases
            int maxStreams = Integer.getInteger("parley.bench.max-streams", 1024);
            long warmupStart = System.nanoTime();
            long warmupMin = warmupStart + TimeUnit.SECONDS.toNanos(Integer.getInteger("parley.bench.warmup-seconds", 45));
            long warmupMax = warmupStart
                    + TimeUnit.SECONDS.toNanos(Integer.getInteger("parley.bench.warmup-max-seconds", 180));
            double jitShare = Double.NaN;
            do {
                long child0 = proxyProcess == null ? 0 : childCpuNanos();
                Map<String, Long> threads0 = proxyProcess == null ? Map.of() : childThreadCpuNanos();
                for (int i = 0; i < 200; i++) {
                    run(Via.DIRECT, "bench-fast", 1);
                    run(Via.PARLEY, "bench-fast", 1);
                    if (peer != null) {
                        run(Via.PEER, "bench-fast", 1);
                    }
                    if (floor != null) {
                        run(Via.FLOOR, "bench-fast", 1);
                    }
                }
                run(Via.PARLEY, "bench-fast", 256);
                run(Via.PARLEY, "bench-paced", 256);
                run(Via.PARLEY, "bench-paced", Math.min(1024, maxStreams));
                if (peer != null) {
                    run(Via.PEER, "bench-fast", 256);
                    run(Via.PEER, "bench-paced", 256);
                }
                if (proxyProcess != null) {
                    jitShare = (double) byGroup(threads0, childThreadCpuNanos()).getOrDefault("JIT", 0L)
                            / Math.max(1, childCpuNanos() - child0);
                }
            } while (System.nanoTime() < warmupMin
                    || (System.nanoTime() < warmupMax && !Double.isNaN(jitShare) && jitShare >= 0.02));
            print("SETUP warm-up %.0f s; the proxy's JIT compilers used %.1f %% of its CPU in the last warm-up round",
                    (System.nanoTime() - warmupStart) / 1e9, jitShare * 100);
            jdk.jfr.Recording recording = startRecording();
            if (peer != null) {
                usagePassThrough();
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
            stopRecording(recording);
        } finally {
            if (peer != null) {
                peer.close();
            }
            if (floor != null) {
                floor.destroy();
                if (!floor.waitFor(10, TimeUnit.SECONDS)) {
                    floor.destroyForcibly();
                }
            }
            if (proxyProcess != null) {
                proxyProcess.destroy();
                if (!proxyProcess.waitFor(20, TimeUnit.SECONDS)) {
                    proxyProcess.destroyForcibly();
                }
            }
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            sim.destroy();
            if (!sim.waitFor(10, TimeUnit.SECONDS)) {
                sim.destroyForcibly();
            }
        }
    }

    // ---- measurements -----------------------------------------------------------------------------------------

    /**
     * The warm-up curve of a freshly started proxy process (issue 17: steady state within 60 s of readiness): from its
     * first streamed call on, one direct and one proxied call at c=1 every {@code 1000 / parley.bench.curve-rate} ms
     * (default 50 pairs per second) for {@code parley.bench.curve-seconds} (180); per 5 s window the added TTFT p50 and
     * p99 over the direct calls of the same window, and the time from readiness to the first window from which every
     * later window's added p50 stays within 25 % + 0.05 ms of the last 60 s's.
     */
    private void warmupCurve() throws Exception {
        int seconds = Integer.getInteger("parley.bench.curve-seconds", 180);
        int rate = Integer.getInteger("parley.bench.curve-rate", 50);
        long periodNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        print("CURVE-SETUP proxy process started %.2f s before it streamed its first call (readiness); %d pairs/s for %d s",
                (proxyRoutedNanos - proxyStartedNanos) / 1e9, rate, seconds);
        int windows = seconds / 5;
        List<List<Double>> direct = new ArrayList<>();
        List<List<Double>> proxied = new ArrayList<>();
        for (int w = 0; w < windows; w++) {
            direct.add(new ArrayList<>());
            proxied.add(new ArrayList<>());
        }
        long start = proxyRoutedNanos;
        long next = System.nanoTime();
        long cpu0 = childCpuNanos();
        while (true) {
            int w = (int) ((System.nanoTime() - start) / TimeUnit.SECONDS.toNanos(5));
            if (w >= windows) {
                break;
            }
            boolean proxyFirst = (direct.get(w).size() & 1) == 0; // alternate the order
            Result a = stream(proxyFirst ? Via.PARLEY : Via.DIRECT, "bench-fast").get(30, TimeUnit.SECONDS);
            Result b = stream(proxyFirst ? Via.DIRECT : Via.PARLEY, "bench-fast").get(30, TimeUnit.SECONDS);
            Result viaProxy = proxyFirst ? a : b;
            Result viaDirect = proxyFirst ? b : a;
            if (viaProxy.status != 200 || viaDirect.status != 200 || viaProxy.ttftMs < 0 || viaDirect.ttftMs < 0) {
                throw new IllegalStateException("a call answered " + viaProxy.status + "/" + viaDirect.status
                        + " during the warm-up curve: the run is void");
            }
            proxied.get(w).add(viaProxy.ttftMs);
            direct.get(w).add(viaDirect.ttftMs);
            next += periodNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait); // pacing the load generator, not synchronisation
            } else {
                next = System.nanoTime();
            }
        }
        double[] added = new double[windows];
        for (int w = 0; w < windows; w++) {
            added[w] = pct(proxied.get(w), 50) - pct(direct.get(w), 50);
            print("CURVE t=%3d-%3d s n=%d direct p50=%.3f | proxied p50=%.3f p99=%.3f | added p50=%.3f p99=%.3f ms", w * 5,
                    w * 5 + 5, proxied.get(w).size(), pct(direct.get(w), 50), pct(proxied.get(w), 50),
                    pct(proxied.get(w), 99), added[w], pct(proxied.get(w), 99) - pct(direct.get(w), 99));
        }
        List<Double> lastProxied = new ArrayList<>();
        List<Double> lastDirect = new ArrayList<>();
        for (int w = Math.max(0, windows - 12); w < windows; w++) {
            lastProxied.addAll(proxied.get(w));
            lastDirect.addAll(direct.get(w));
        }
        double steady = pct(lastProxied, 50) - pct(lastDirect, 50);
        double bound = steady * 1.25 + 0.05;
        int from = windows;
        while (from > 0 && added[from - 1] <= bound) {
            from--;
        }
        print("CURVE-STEADY added p50 of the last 60 s %.3f ms; every window from t=%d s on within %.3f ms; proxy CPU during "
                + "the curve %.1f s", steady, from * 5, bound, (childCpuNanos() - cpu0) / 1e9);
    }

    private void ttft(int concurrency, int rounds) throws Exception {
        List<Double> direct = new ArrayList<>();
        List<Double> proxied = new ArrayList<>();
        long[] cost = new long[3]; // proxy event-loop CPU ns, whole-process-minus-client CPU ns, event-loop bytes allocated
        List<Double> peered = new ArrayList<>();
        List<Double> floored = new ArrayList<>();
        long childCpu0 = proxyProcess == null ? 0 : childCpuNanos();
        long peerCpu0 = peer == null ? 0 : peer.cpuNanos();
        long floorCpu0 = floor == null ? 0 : cpuNanos(floor);
        List<Via> paths = new ArrayList<>(List.of(Via.DIRECT, Via.PARLEY));
        if (peer != null) {
            paths.add(Via.PEER);
        }
        if (floor != null) {
            paths.add(Via.FLOOR);
        }
        profilerStart(); // the whole phase: the proxy is idle while the direct calls run
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < paths.size(); i++) {
                Via via = paths.get((i + r) % paths.size()); // rotate the order so no path always goes first
                List<Result> results = via == Via.PARLEY ? measured(cost, "bench-fast", concurrency)
                        : run(via, "bench-fast", concurrency);
                (via == Via.DIRECT ? direct : via == Via.PARLEY ? proxied : via == Via.PEER ? peered : floored)
                        .addAll(results.stream().map(x -> x.ttftMs).toList());
            }
        }
        int calls = proxied.size();
        profilerStop("ttft-c" + concurrency);
        if (floor != null) {
            print("TTFT-FLOOR c=%d n=%d ms: direct p50=%.3f p99=%.3f | floor relay p50=%.3f p99=%.3f | added p50=%.3f "
                    + "p99=%.3f | floor process (pinned to CPU %s) CPU per call: %.1f us", concurrency,
                    floored.size(), pct(direct, 50), pct(direct, 99), pct(floored, 50), pct(floored, 99),
                    pct(floored, 50) - pct(direct, 50), pct(floored, 99) - pct(direct, 99), proxyCpu(),
                    (cpuNanos(floor) - floorCpu0) / 1e3 / floored.size());
        }
        if (peer != null) {
            print("TTFT-PEER c=%d n=%d ms: direct p50=%.3f p99=%.3f | portkey p50=%.3f p99=%.3f | added p50=%.3f "
                    + "p99=%.3f | portkey process (pinned to CPU %s) CPU per call: %.1f us", concurrency,
                    peered.size(), pct(direct, 50), pct(direct, 99), pct(peered, 50), pct(peered, 99),
                    pct(peered, 50) - pct(direct, 50), pct(peered, 99) - pct(direct, 99), proxyCpu(),
                    (peer.cpuNanos() - peerCpu0) / 1e3 / peered.size());
        }
        if (proxyProcess != null) {
            print("TTFT c=%d n=%d ms: direct p50=%.3f p99=%.3f | proxied p50=%.3f p99=%.3f | added p50=%.3f p99=%.3f | "
                    + "proxy process (pinned to CPU %s) CPU per proxied call: %.1f us", concurrency, direct.size(),
                    pct(direct, 50), pct(direct, 99), pct(proxied, 50), pct(proxied, 99),
                    pct(proxied, 50) - pct(direct, 50), pct(proxied, 99) - pct(direct, 99), proxyCpu(),
                    (childCpuNanos() - childCpu0) / 1e3 / calls);
            return;
        }
        print("TTFT c=%d n=%d ms: direct p50=%.3f p99=%.3f | proxied p50=%.3f p99=%.3f | added p50=%.3f p99=%.3f | "
                + "per proxied call: %.1f us event-loop CPU, %.1f us process CPU minus client, %.1f KiB allocated on "
                + "the proxy's event loops", concurrency, direct.size(), pct(direct, 50), pct(direct, 99),
                pct(proxied, 50), pct(proxied, 99), pct(proxied, 50) - pct(direct, 50),
                pct(proxied, 99) - pct(direct, 99), cost[0] / 1e3 / calls, cost[1] / 1e3 / calls,
                cost[2] / 1024.0 / calls);
    }

    private void interTokenGaps(int concurrency, int rounds) throws Exception {
        List<Double> direct = new ArrayList<>();
        List<Double> proxied = new ArrayList<>();
        List<Double> peered = new ArrayList<>();
        List<Double> floored = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (Result x : run(Via.DIRECT, "bench-paced", concurrency)) {
                direct.addAll(x.gapsMs);
            }
            for (Result x : run(Via.PARLEY, "bench-paced", concurrency)) {
                proxied.addAll(x.gapsMs);
            }
            if (peer != null) {
                for (Result x : run(Via.PEER, "bench-paced", concurrency)) {
                    peered.addAll(x.gapsMs);
                }
            }
            if (floor != null) {
                for (Result x : run(Via.FLOOR, "bench-paced", concurrency)) {
                    floored.addAll(x.gapsMs);
                }
            }
        }
        if (floor != null) {
            print("ITL-FLOOR %dms c=%d gaps=%d ms: direct p99=%.3f | floor relay p50=%.3f p99=%.3f | added p99=%.3f",
                    ITL_MS, concurrency, floored.size(), pct(direct, 99), pct(floored, 50), pct(floored, 99),
                    pct(floored, 99) - pct(direct, 99));
        }
        if (peer != null) {
            print("ITL-PEER %dms c=%d gaps=%d ms: direct p50=%.3f p99=%.3f | portkey p50=%.3f p99=%.3f | added p99=%.3f",
                    ITL_MS, concurrency, peered.size(), pct(direct, 50), pct(direct, 99), pct(peered, 50),
                    pct(peered, 99), pct(peered, 99) - pct(direct, 99));
        }
        print("ITL %dms c=%d gaps=%d ms: direct p50=%.3f p99=%.3f | proxied p50=%.3f p99=%.3f | added p99=%.3f",
                ITL_MS, concurrency, direct.size(), pct(direct, 50), pct(direct, 99), pct(proxied, 50),
                pct(proxied, 99), pct(proxied, 99) - pct(direct, 99));
    }

    /** A proxied run, adding the proxy's CPU and allocation during it to {@code cost}. */
    private List<Result> measured(long[] cost, String model, int concurrency) throws Exception {
        if (proxyProcess != null) {
            return run(Via.PARLEY, model, concurrency); // the child's CPU is taken over the whole phase
        }
        long loops0 = proxyEventLoopCpuNanos();
        long cpu0 = proxyCpuNanos();
        long alloc0 = proxyEventLoopAllocatedBytes();
        List<Result> results = run(Via.PARLEY, model, concurrency);
        cost[0] += proxyEventLoopCpuNanos() - loops0;
        cost[1] += proxyCpuNanos() - cpu0;
        cost[2] += proxyEventLoopAllocatedBytes() - alloc0;
        return results;
    }

    private void capacity(int n) throws Exception {
        long sim0 = cpuNanos(simulator);
        Stats direct = stats(run(Via.DIRECT, "bench-paced", n), n);
        print("STREAMS-SIMULATOR n=%d: the simulator itself (writes each token once) CPU per 1000 tokens, direct run: "
                + "%.1f ms", n, (cpuNanos(simulator) - sim0) / 1e6 / Math.max(1, direct.tokens) * 1000);
        if (floor != null) {
            long floor0 = cpuNanos(floor);
            Stats floored = stats(run(Via.FLOOR, "bench-paced", n), n);
            print("STREAMS-FLOOR n=%d itl=%dms tokens=%d: floor relay complete=%d lost=%d late=%d gap p99=%.1f "
                    + "duration p50/p99=%.0f/%.0f | floor process (pinned to CPU %s) CPU per 1000 tokens: %.1f ms", n,
                    ITL_MS, PACED_TOKENS, floored.complete, floored.lost, floored.late, floored.gapP99,
                    floored.durationP50, floored.durationP99, proxyCpu(),
                    (cpuNanos(floor) - floor0) / 1e6 / Math.max(1, floored.tokens) * 1000);
        }
        if (peer != null) {
            long peer0 = peer.cpuNanos();
            Stats peered = stats(run(Via.PEER, "bench-paced", n), n);
            long peerNanos = peer.cpuNanos() - peer0;
            print("STREAMS-PEER n=%d itl=%dms tokens=%d: direct complete=%d lost=%d late(>%dms)=%d gap p99=%.1f "
                    + "duration p50/p99=%.0f/%.0f | portkey complete=%d lost=%d late=%d gap p99=%.1f duration "
                    + "p50/p99=%.0f/%.0f | portkey process (pinned to CPU %s) CPU per 1000 tokens: %.1f ms (%d tokens)",
                    n, ITL_MS, PACED_TOKENS, direct.complete, direct.lost, 2 * ITL_MS, direct.late, direct.gapP99,
                    direct.durationP50, direct.durationP99, peered.complete, peered.lost, peered.late, peered.gapP99,
                    peered.durationP50, peered.durationP99, proxyCpu(),
                    peerNanos / 1e6 / Math.max(1, peered.tokens) * 1000, peered.tokens);
        }
        if (proxyProcess != null) {
            profilerStart();
            long child0 = childCpuNanos();
            Map<String, Long> threads0 = childThreadCpuNanos();
            Stats proxied = stats(run(Via.PARLEY, "bench-paced", n), n);
            long childNanos = childCpuNanos() - child0;
            Map<String, Long> threads1 = childThreadCpuNanos();
            profilerStop("streams-" + n);
            StringBuilder byGroup = new StringBuilder();
            Map<String, Long> groups = byGroup(threads0, threads1);
            for (String group : List.of("event loops", "event loops (system)", "JIT", "GC and VM", "workers", "other")) {
                long nanos = groups.getOrDefault(group, 0L);
                byGroup.append(String.format(" %s %.1f;", group, nanos / 1e6 / proxied.tokens * 1000));
            }
            print("STREAMS n=%d itl=%dms tokens=%d: direct complete=%d lost=%d late(>%dms)=%d gap p99=%.1f | proxied "
                    + "complete=%d lost=%d late=%d gap p99=%.1f duration p50/p99=%.0f/%.0f | proxy process (pinned to "
                    + "CPU %s) CPU per 1000 tokens: %.1f ms (%d tokens); by thread (ms per 1000 tokens):%s", n, ITL_MS,
                    PACED_TOKENS, direct.complete, direct.lost, 2 * ITL_MS, direct.late, direct.gapP99,
                    proxied.complete, proxied.lost, proxied.late, proxied.gapP99, proxied.durationP50,
                    proxied.durationP99, proxyCpu(), childNanos / 1e6 / proxied.tokens * 1000, proxied.tokens, byGroup);
            return;
        }
        long cpu0 = proxyCpuNanos();
        long loops0 = proxyEventLoopCpuNanos();
        Stats proxied = stats(run(Via.PARLEY, "bench-paced", n), n);
        long cpuNanos = proxyCpuNanos() - cpu0;
        long loopNanos = proxyEventLoopCpuNanos() - loops0;
        print("STREAMS n=%d itl=%dms tokens=%d: direct complete=%d lost=%d late(>%dms)=%d gap p99=%.1f | proxied "
                + "complete=%d lost=%d late=%d gap p99=%.1f | proxy CPU per 1000 tokens: %.1f ms on its event loops, "
                + "%.1f ms whole process minus client (%d tokens)", n, ITL_MS, PACED_TOKENS, direct.complete,
                direct.lost, 2 * ITL_MS, direct.late, direct.gapP99, proxied.complete, proxied.lost, proxied.late,
                proxied.gapP99, loopNanos / 1e6 / proxied.tokens * 1000, cpuNanos / 1e6 / proxied.tokens * 1000,
                proxied.tokens);
    }

    /**
     * In process mode: {@code n} idle streams are opened, then {@code n} more while the first stay open, and the second
     * batch is measured: each of its streams needs a new client connection and a new upstream connection (the pooled
     * ones, and the state they keep from their last call, are all taken by the first batch), so the figure is the whole
     * marginal cost of one more open stream. Measuring a single batch against the idle proxy understated it: the
     * keep-alive connections left by the previous phase already held such state, and the figure came out near zero.
     */
    private void memoryPerOpenStream(int n) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        if (proxyProcess != null) {
            List<HttpClientRequest> first = openIdleStreams(Via.PARLEY, n);
            long before = childHeapAfterGc();
            long rssBefore = PortkeyPeer.rssBytes(proxyProcess.pid());
            List<HttpClientRequest> second = openIdleStreams(Via.PARLEY, n);
            long during = childHeapAfterGc();
            long rssDuring = PortkeyPeer.rssBytes(proxyProcess.pid());
            for (List<HttpClientRequest> open : List.of(first, second)) {
                synchronized (open) {
                    open.forEach(r -> r.reset());
                }
            }
            print("MEMORY %d open streams (headers and role chunk relayed, waiting for the next token), opened while "
                    + "%d others were open: proxy process heap after GC %.1f -> %.1f MiB, +%.1f KiB per stream; RSS "
                    + "%.1f -> %.1f MiB, +%.1f KiB per stream", n, n, before / 1048576.0, during / 1048576.0,
                    (during - before) / 1024.0 / n, rssBefore / 1048576.0, rssDuring / 1048576.0,
                    (rssDuring - rssBefore) / 1024.0 / n);
        } else {
            long before = settledHeap(memory);
            List<HttpClientRequest> open = openIdleStreams(Via.PARLEY, n);
            long during = settledHeap(memory);
            synchronized (open) {
                open.forEach(r -> r.reset());
            }
            print("MEMORY %d open streams (headers and role chunk relayed, waiting for the next token): heap +%.1f MiB "
                    + "= %.1f KiB per stream (in-process: includes the benchmark client's own side of each stream)", n,
                    (during - before) / 1048576.0, (during - before) / 1024.0 / n);
        }
        if (peer != null) {
            // measured like Parley's: a second batch of streams opened while a first batch is open
            List<HttpClientRequest> peerFirst = openIdleStreams(Via.PEER, n);
            long peerHeap0 = peer.heapUsedAfterGc();
            long peerRss0 = peer.rssBytes();
            List<HttpClientRequest> peerOpen = openIdleStreams(Via.PEER, n);
            long peerHeap1 = peer.heapUsedAfterGc();
            long peerRss1 = peer.rssBytes();
            for (List<HttpClientRequest> open : List.of(peerFirst, peerOpen)) {
                synchronized (open) {
                    open.forEach(r -> r.reset());
                }
            }
            print("MEMORY-PEER %d open streams, opened while %d others were open: portkey process V8 heap used after GC "
                    + "+%.1f MiB = %.1f KiB per stream; RSS +%.1f MiB = %.1f KiB per stream (RSS %.1f -> %.1f MiB)", n,
                    n, (peerHeap1 - peerHeap0) / 1048576.0, (peerHeap1 - peerHeap0) / 1024.0 / n,
                    (peerRss1 - peerRss0) / 1048576.0, (peerRss1 - peerRss0) / 1024.0 / n, peerRss0 / 1048576.0,
                    peerRss1 / 1048576.0);
        }
    }

    /** Opens {@code n} streams of the idle model and waits until each has received its first chunk. */
    private List<HttpClientRequest> openIdleStreams(Via via, int n) throws Exception {
        List<HttpClientRequest> open = new ArrayList<>();
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CompletableFuture<Void> first = new CompletableFuture<>();
            started.add(first);
            client.request(options(via)).onFailure(first::completeExceptionally).onSuccess(req -> {
                synchronized (open) {
                    open.add(req);
                }
                req.response().onFailure(first::completeExceptionally)
                        .onSuccess(res -> res.handler(chunk -> first.complete(null)));
                req.end(body("bench-idle").encode());
            });
        }
        CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        return open;
    }

    /**
     * One call with {@code stream_options.include_usage} direct and through the peer: are the peer's events the
     * simulator's, unchanged (ids and timestamps aside), and is the usage chunk passed through?
     */
    private void usagePassThrough() throws Exception {
        List<String> direct = rawEvents(Via.DIRECT).get(30, TimeUnit.SECONDS);
        List<String> peered = rawEvents(Via.PEER).get(30, TimeUnit.SECONDS);
        List<String> parley = rawEvents(Via.PARLEY).get(30, TimeUnit.SECONDS);
        java.util.function.Function<List<String>, List<String>> normal = events -> events.stream()
                .map(e -> e.replaceAll("\"id\":\"[^\"]*\"", "\"id\":\"-\"")
                        .replaceAll("\"created\":\\d+", "\"created\":0"))
                .toList();
        java.util.function.Function<List<String>, String> usage = events -> events.stream()
                .filter(e -> e.contains("\"usage\"")).reduce((a, b) -> b).orElse("none");
        print("USAGE include_usage: %d events direct, %d portkey, %d parley; portkey's events identical to the "
                + "simulator's except id/created: %s | usage event direct: %s | portkey: %s | parley: %s",
                direct.size(), peered.size(), parley.size(), normal.apply(direct).equals(normal.apply(peered)),
                usage.apply(direct), usage.apply(peered), usage.apply(parley));
    }

    /** The SSE events of one {@code bench-fast} call with {@code include_usage}, as text. */
    private CompletableFuture<List<String>> rawEvents(Via via) {
        CompletableFuture<List<String>> result = new CompletableFuture<>();
        JsonObject body = body("bench-fast").put("stream_options", new JsonObject().put("include_usage", true));
        client.request(options(via)).onFailure(result::completeExceptionally).onSuccess(req -> {
            req.response().onFailure(result::completeExceptionally).onSuccess(res -> {
                SseEventSplitter splitter = new SseEventSplitter();
                List<String> events = new ArrayList<>();
                res.handler(chunk -> splitter.feed(chunk, event -> events.add(event.toString().trim())));
                res.exceptionHandler(result::completeExceptionally);
                res.endHandler(v -> result.complete(events));
            });
            req.end(body.encode());
        });
        return result;
    }

    // ---- the client ---------------------------------------------------------------------------------------------

    private record Result(double ttftMs, int contentEvents, boolean complete, List<Double> gapsMs, int status) {
    }

    /**
     * {@code durationP50}/{@code durationP99}: from the request to the last content event (ideal {@code PACED_TOKENS × ITL}
     * after the first token); a path that falls behind and then sends in bursts shows here rather than in {@code late}.
     */
    private record Stats(int complete, long lost, long late, double gapP99, long tokens, double durationP50,
            double durationP99) {
    }

    private static Stats stats(List<Result> results, int n) {
        long tokens = results.stream().mapToLong(r -> r.contentEvents).sum();
        int complete = (int) results.stream().filter(r -> r.complete && r.contentEvents == PACED_TOKENS).count();
        List<Double> gaps = new ArrayList<>();
        results.forEach(r -> gaps.addAll(r.gapsMs));
        long late = gaps.stream().filter(g -> g > 2 * ITL_MS).count();
        List<Double> durations = results.stream().filter(r -> r.ttftMs >= 0)
                .map(r -> r.ttftMs + r.gapsMs.stream().mapToDouble(Double::doubleValue).sum()).toList();
        return new Stats(complete, (long) n * PACED_TOKENS - tokens, late, pct(gaps, 99), tokens, pct(durations, 50),
                pct(durations, 99));
    }

    private List<Result> run(Via via, String model, int concurrency) throws Exception {
        List<CompletableFuture<Result>> all = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            all.add(stream(via, model));
        }
        List<Result> out = new ArrayList<>();
        for (CompletableFuture<Result> f : all) {
            out.add(f.get(120, TimeUnit.SECONDS));
        }
        // a path answering errors would report void figures (an error is fast and has no frames to lose): stop the run
        List<Integer> errors = out.stream().map(Result::status).filter(st -> st != 200).toList();
        if (!errors.isEmpty()) {
            throw new IllegalStateException(errors.size() + " of " + concurrency + " calls via " + via + " to " + model
                    + " answered an error status " + new java.util.TreeSet<>(errors) + ": the run is void");
        }
        return out;
    }

    private RequestOptions options(Via via) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(via == Via.DIRECT ? simPort
                        : via == Via.PARLEY ? proxyPort : via == Via.FLOOR ? floorPort : peer.port())
                .setURI("/v1/chat/completions").putHeader("Content-Type", "application/json");
        if (via == Via.PARLEY) {
            options.putHeader("Authorization", token);
        } else if (via == Via.PEER) {
            peer.route(options);
        }
        return options;
    }

    private static JsonObject body(String model) {
        return new JsonObject().put("model", model).put("stream", true).put("messages",
                new JsonArray().add(new JsonObject().put("role", "user").put("content", "Say something.")));
    }

    /** One streamed call: time to the first content event, content events, and the gaps between them. */
    private CompletableFuture<Result> stream(Via via, String model) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        String payload = body(model).encode();
        long start = System.nanoTime();
        client.request(options(via)).onFailure(result::completeExceptionally).onSuccess(req -> {
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
                res.exceptionHandler(e -> result.complete(new Result(ttft[0], events[0], false, gaps, res.statusCode())));
                res.endHandler(v -> result.complete(
                        new Result(ttft[0], events[0], res.statusCode() == 200, gaps, res.statusCode())));
            });
            req.end(payload);
        });
        return result;
    }

    // ---- the proxy as a separate, pinned process ------------------------------------------------------------------

    private static boolean processMode() {
        return "process".equals(System.getProperty("parley.bench.proxy"));
    }

    private static String othersCpu() {
        return System.getProperty("parley.bench.others-cpu", "0");
    }

    private static String proxyCpu() {
        return System.getProperty("parley.bench.proxy-cpu", "1");
    }

    /**
     * Starts the packaged proxy ({@code target/quarkus-app}, build it with {@code mvn -pl inference-proxy-service package
     * -DskipTests}) pinned to one CPU with {@code taskset}, wired to the same PostgreSQL, fake registry and usage-service
     * and token key as the in-process one.
     */
    private Process startProxyProcess() throws Exception {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("package the proxy first: mvn -B -pl inference-proxy-service package -DskipTests");
        }
        org.eclipse.microprofile.config.Config config = org.eclipse.microprofile.config.ConfigProvider.getConfig();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of("taskset", "-c", proxyCpu(), "java", "-Xmx512m"));
        String jvmArgs = System.getProperty("parley.bench.proxy-jvm-args", "");
        if (!jvmArgs.isBlank()) {
            command.addAll(List.of(jvmArgs.trim().split("\\s+"))); // e.g. -XX:StartFlightRecording=filename=...
        }
        Map<String, String> props = new java.util.LinkedHashMap<>();
        props.put("quarkus.http.host", "127.0.0.1");
        props.put("quarkus.http.port", String.valueOf(port));
        for (String key : List.of("quarkus.datasource.jdbc.url", "quarkus.datasource.username",
                "quarkus.datasource.password", "quarkus.rest-client.registry.url", "quarkus.rest-client.usage.url",
                "quarkus.oidc.public-key", "quarkus.oidc.token.issuer", "quarkus.oidc.roles.role-claim-path")) {
            props.put(key, config.getValue(key, String.class));
        }
        props.put("quarkus.oidc.auth-server-url", "");
        props.put("quarkus.oidc-client.enabled", "false");
        props.put("quarkus.oidc-client.credentials.secret", "unused");
        props.put("parley.proxy.service-auth.enabled", "false");
        props.put("parley.proxy.upstream.first-token-timeout", "120s");
        props.put("parley.proxy.upstream.idle-timeout", "120s");
        // the memory phase holds 2 × 1,024 streams open at once; the pool limit applies per event loop
        props.put("parley.proxy.upstream.max-connections-per-endpoint", "4096");
        // one user makes every call, up to 2,048 at once: the per-user and per-key limits (ADR 0013) are off, as in the
        // test profile of the in-process proxy (with the defaults, 32 at once, the c=256 phase answered 429)
        for (String scope : List.of("user", "api-key")) {
            props.put("parley.proxy.limits." + scope + ".requests-per-minute", "0");
            props.put("parley.proxy.limits." + scope + ".max-concurrent", "0");
        }
        // the benchmark models exist only on the fake registry's change stream, not in its GET lists: a periodic or
        // unknown-model refresh from those lists would replace the view without them (seen as every proxied call
        // failing in some runs), so the child's view comes from the change stream alone
        props.put("parley.proxy.registry.refresh-interval", "1h");
        props.put("parley.proxy.registry.miss-refresh-min-interval", "1h");
        props.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        proxyStartedNanos = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(new File("target/bench-proxy.log")).start();
        proxyPort = port;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String last = "nothing";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the proxy process exited, see target/bench-proxy.log");
            }
            try {
                Result r = stream(Via.PARLEY, "bench-fast").get(5, TimeUnit.SECONDS);
                if (r.complete && r.contentEvents > 0) {
                    proxyRoutedNanos = System.nanoTime();
                    return process;
                }
                last = r.toString();
            } catch (Exception e) {
                last = e.toString(); // not up yet
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        process.destroyForcibly();
        throw new IllegalStateException(
                "the proxy process never routed bench-fast (last: " + last + "), see target/bench-proxy.log");
    }

    // ---- the floor: a byte relay in C ------------------------------------------------------------------------------

    /**
     * Compiles {@code src/test/c/tcp_relay.c} with {@code cc -O2} into {@code target/bench-floor} and starts it on a free
     * loopback port, relaying to the simulator, pinned to the proxy's CPU; it exits by itself after 30 minutes.
     */
    private Process startFloor() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "bench-floor"));
        Path binary = dir.resolve("tcp_relay").toAbsolutePath();
        Process cc = new ProcessBuilder("cc", "-O2", "-o", binary.toString(),
                Path.of("src", "test", "c", "tcp_relay.c").toAbsolutePath().toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("cc.log").toFile()).start();
        if (!cc.waitFor(60, TimeUnit.SECONDS) || cc.exitValue() != 0) {
            throw new IllegalStateException("cc failed, see target/bench-floor/cc.log");
        }
        try (ServerSocket s = new ServerSocket(0)) {
            floorPort = s.getLocalPort();
        }
        Process started = new ProcessBuilder("taskset", "-c", proxyCpu(), binary.toString(), String.valueOf(floorPort),
                String.valueOf(simPort), "1800").redirectErrorStream(true)
                .redirectOutput(dir.resolve("relay.log").toFile()).start();
        floor = started;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try {
                Result r = stream(Via.FLOOR, "bench-fast").get(5, TimeUnit.SECONDS);
                if (r.complete && r.contentEvents > 0) {
                    print("SETUP floor: C byte relay (src/test/c/tcp_relay.c), pid %d pinned to CPU %s", started.pid(),
                            proxyCpu());
                    return started;
                }
            } catch (Exception e) {
                // not up yet
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        started.destroyForcibly();
        throw new IllegalStateException("the floor relay never streamed bench-fast, see target/bench-floor/relay.log");
    }

    private static long cpuNanos(Process process) {
        return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    // ---- the peer gateway ---------------------------------------------------------------------------------------

    private static boolean peerRequested() {
        String peer = System.getProperty("parley.bench.peer", "");
        if (!peer.isBlank() && !peer.equals("portkey")) {
            throw new IllegalArgumentException("unknown -Dparley.bench.peer=" + peer + " (known: portkey)");
        }
        return peer.equals("portkey");
    }

    /**
     * Installs (npm, into {@code target/bench-peers}) and starts the Portkey AI Gateway pinned to the proxy's CPU, and
     * waits until it streams {@code bench-fast} from the simulator.
     */
    private PortkeyPeer startPeer() throws Exception {
        Path home = PortkeyPeer.install(Path.of("target", "bench-peers"));
        PortkeyPeer started = PortkeyPeer.start(home, proxyCpu(), simPort, new File("target/bench-portkey.log"));
        peer = started;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!started.isAlive()) {
                throw new IllegalStateException("the Portkey gateway exited, see target/bench-portkey.log");
            }
            try {
                Result r = stream(Via.PEER, "bench-fast").get(5, TimeUnit.SECONDS);
                if (r.complete && r.contentEvents > 0) {
                    print("SETUP peer Portkey AI Gateway %s (node %s), pid %d pinned to CPU %s, listening on %s",
                            started.version(), nodeVersion(), started.pid(), proxyCpu(), started.listeningAddresses());
                    return started;
                }
            } catch (Exception e) {
                // not up yet
            }
            TimeUnit.MILLISECONDS.sleep(300);
        }
        started.close();
        throw new IllegalStateException("the Portkey gateway never streamed bench-fast, see target/bench-portkey.log");
    }

    private static String nodeVersion() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (Exception e) {
            return "?";
        }
    }

    /** Total CPU (user + system, JIT and GC included) of the proxy process. */
    private long childCpuNanos() {
        return proxyProcess.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    /**
     * CPU of the proxy process's threads, keyed by thread group and thread id ({@code group/tid}), from
     * {@code /proc/<pid>/task/<tid>/stat} (user + system, in clock ticks of 10 ms: read over whole phases only); system
     * time of the event loops also under {@code event loops (system)/tid}. See {@link #byGroup}.
     */
    private Map<String, Long> childThreadCpuNanos() {
        Map<String, Long> threads = new java.util.HashMap<>();
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(proxyProcess.pid()), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim();
                    String stat = Files.readString(task.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                    String group = name.startsWith("vert.x-eventloo") ? "event loops"
                            : name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler") ? "JIT"
                                    : name.startsWith("GC ") || name.startsWith("VM Thread") || name.startsWith("G1")
                                            ? "GC and VM"
                                            : name.startsWith("executor-thread") || name.startsWith("agroal") ? "workers"
                                                    : "other";
                    String tid = task.getFileName().toString();
                    threads.put(group + "/" + tid, ticks * 10_000_000L);
                    if (group.equals("event loops")) {
                        threads.put("event loops (system)/" + tid, Long.parseLong(fields[12]) * 10_000_000L);
                    }
                } catch (Exception e) {
                    // the thread ended meanwhile
                }
            }
        } catch (Exception e) {
            // no /proc: no breakdown
        }
        return threads;
    }

    /**
     * CPU used between two {@link #childThreadCpuNanos} readings, by group: per thread, so that a thread that ended
     * meanwhile (a worker leaving the pool) does not subtract its whole life from its group; threads that started
     * meanwhile count in full.
     */
    private static Map<String, Long> byGroup(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> groups = new java.util.HashMap<>();
        after.forEach((key, nanos) -> groups.merge(key.substring(0, key.lastIndexOf('/')),
                nanos - before.getOrDefault(key, 0L), Long::sum));
        return groups;
    }

    // ---- optional profiling of the proxy process (async-profiler, loaded with jcmd) ---------------------------------

    /** The profiler's native agent, extracted from the test-scoped async-profiler jar; null when not profiling. */
    private Path profilerLib;
    private boolean profiling;

    /**
     * With {@code -Dparley.bench.profile=<event>} ({@code cpu}, {@code itimer}, {@code alloc}, {@code wall}) in process
     * mode, the proxied part of each measured phase is profiled by async-profiler inside the proxy process, and written as
     * collapsed stacks to {@code target/bench-profile/<phase>.collapsed} (per thread, kernel frames included with
     * {@code cpu}). In the TTFT phases the proxy idles while the direct calls run; in the streams phases only the
     * proxied run is profiled.
     */
    private void profilerStart() throws Exception {
        String event = System.getProperty("parley.bench.profile", "");
        if (event.isBlank() || proxyProcess == null) {
            return;
        }
        if (profilerLib == null) {
            profilerLib = Path.of("target", "bench-profile", "libasyncProfiler.so").toAbsolutePath();
            Files.createDirectories(profilerLib.getParent());
            try (var in = RelayBenchmarkTest.class.getResourceAsStream("/linux-x64/libasyncProfiler.so")) {
                if (in == null) {
                    throw new IllegalStateException("async-profiler's linux-x64 agent is not on the test classpath");
                }
                Files.copy(in, profilerLib, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        String interval = event.equals("alloc") ? ""
                : ",interval=" + System.getProperty("parley.bench.profile-interval",
                        "200us");
        jcmd(String.valueOf(proxyProcess.pid()), "JVMTI.agent_load", profilerLib.toString(),
                quoted((profiling ? "resume" : "start") + ",event=" + event + interval + ",threads"));
        profiling = true;
        profilerActive = true;
    }

    private boolean profilerActive;

    /** jcmd reads {@code key=value} as its own option: the agent's options go quoted. */
    private static String quoted(String agentOptions) {
        return '"' + agentOptions + '"';
    }

    private void profilerPause() throws Exception {
        if (profilerActive) {
            jcmd(String.valueOf(proxyProcess.pid()), "JVMTI.agent_load", profilerLib.toString(), quoted("stop,file=/dev/null"));
            profilerActive = false;
        }
    }

    private void profilerStop(String phase) throws Exception {
        if (!profiling) {
            return;
        }
        profilerPause();
        profiling = false;
        Path out = profilerLib.getParent().resolve(phase + ".collapsed");
        jcmd(String.valueOf(proxyProcess.pid()), "JVMTI.agent_load", profilerLib.toString(), quoted("dump,file=" + out));
        print("PROFILE %s: %s", phase, out);
    }

    /** The proxy process's used heap after a full GC, by {@code jcmd}. */
    private long childHeapAfterGc() throws Exception {
        String pid = String.valueOf(proxyProcess.pid());
        jcmd(pid, "GC.run");
        long used = 0;
        for (String line : jcmd(pid, "GC.heap_info").split("\n")) {
            java.util.regex.Matcher m = java.util.regex.Pattern
                    .compile("(generation|heap)\\s+total \\d+K, used (\\d+)K").matcher(line);
            if (m.find() && !line.contains("Metaspace") && !line.contains("class space")) {
                used += Long.parseLong(m.group(2)) * 1024;
            }
        }
        return used;
    }

    private static String jcmd(String pid, String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of("jcmd", pid));
        line.addAll(List.of(command));
        Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    // ---- plumbing -----------------------------------------------------------------------------------------------

    /**
     * CPU of this process minus the benchmark client's threads and the harness thread: the proxy, its GC and JIT, and
     * the idle fakes.
     */
    private long proxyCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long clientCpu = threads.getCurrentThreadCpuTime(); // the harness thread measuring
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
        for (long id : proxyEventLoops()) {
            total += Math.max(0, threads.getThreadCpuTime(id));
        }
        return total;
    }

    private List<Long> proxyLoops;

    /** The proxy's event-loop threads, found once (listing every thread's info is itself costly). */
    private List<Long> proxyEventLoops() {
        if (proxyLoops != null) {
            return proxyLoops;
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        List<Long> ids = new ArrayList<>();
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith("vert.x-eventloop-thread-")
                    && !clientThreads.contains(info.getThreadId()) && !FakeServices.ownsThread(info.getThreadId())) {
                ids.add(info.getThreadId());
            }
        }
        proxyLoops = ids;
        return ids;
    }

    /** Bytes allocated so far by the proxy's event-loop threads. */
    private long proxyEventLoopAllocatedBytes() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long total = 0;
        for (long id : proxyEventLoops()) {
            total += Math.max(0, threads.getThreadAllocatedBytes(id));
        }
        return total;
    }

    /** With {@code -Dparley.bench.jfr=<file>}, a JFR recording (profile settings) of the measured phases. */
    private static jdk.jfr.Recording startRecording() throws Exception {
        String file = System.getProperty("parley.bench.jfr");
        if (file == null || file.isBlank()) {
            return null;
        }
        jdk.jfr.Recording recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
        recording.setDestination(Path.of(file));
        recording.start();
        return recording;
    }

    private static void stopRecording(jdk.jfr.Recording recording) {
        if (recording != null) {
            recording.stop();
            recording.close();
        }
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
            Result r = stream(Via.PARLEY, "bench-fast").get(10, TimeUnit.SECONDS);
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
