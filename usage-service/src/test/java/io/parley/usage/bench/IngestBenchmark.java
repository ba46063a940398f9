package io.parley.usage.bench;

import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.awaitility.Awaitility;

import io.parley.testsupport.TestTokens;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Ingest throughput of the packaged usage-service against a real PostgreSQL on loopback. Not part of the test run: it
 * is a main, started explicitly (see the command below). It is bounded: a fixed number of events, a global deadline,
 * and everything it starts (PostgreSQL, the service process) is stopped at the end.
 *
 * <pre>
 * mvn -B -q -pl usage-service package -DskipTests
 * mvn -B -q -pl usage-service exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.parley.usage.bench.IngestBenchmark \
 *     -Dbench.events=200000 -Dbench.batch=500 -Dbench.concurrency=4
 * </pre>
 *
 * System properties: {@code bench.events} (measured events, default 200000), {@code bench.batch} (events per request,
 * default 500), {@code bench.concurrency} (parallel senders, default 4), {@code bench.warmup} (events, default 50000),
 * {@code bench.synchronous-commit} (PostgreSQL setting, default {@code on}, i.e. durable commits),
 * {@code bench.service-jvm-args} (extra JVM options for the service, e.g. a JFR recording),
 * {@code bench.jar} (the packaged service, default {@code usage-service/target/quarkus-app/quarkus-run.jar}).
 */
public final class IngestBenchmark {

    private static final Duration DEADLINE = Duration.ofMinutes(10);

    private IngestBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int events = Integer.getInteger("bench.events", 200_000);
        int batch = Integer.getInteger("bench.batch", 500);
        int concurrency = Integer.getInteger("bench.concurrency", 4);
        int warmup = Integer.getInteger("bench.warmup", 50_000);
        String syncCommit = System.getProperty("bench.synchronous-commit", "on");
        Path jar = jar();

        Path dataDir = Files.createTempDirectory("parley-bench-pg");
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("synchronous_commit", syncCommit)
                .setDataDirectory(dataDir).setCleanDataDirectory(true).start()) {
            long postmaster = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE parley_usage");
            }
            String jdbcUrl = pg.getJdbcUrl("postgres", "parley_usage");
            int port = freePort();
            Process service = startService(jar, port, jdbcUrl);
            Runtime.getRuntime().addShutdownHook(new Thread(service::destroyForcibly));
            try {
                String base = "http://127.0.0.1:" + port;
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                awaitReady(http, base, service);
                String token = TestTokens.service("parley-proxy", "usage-writer");

                System.out.printf("warm-up: %d events%n", warmup);
                run(http, base, token, bodies(warmup, batch), concurrency);
                System.out.printf("measuring: %d events in batches of %d, %d concurrent senders, synchronous_commit=%s%n",
                        events, batch, concurrency, syncCommit);
                List<byte[]> measured = bodies(events, batch);
                double[] cpuBefore = cpuSeconds(service, postmaster);
                long start = System.nanoTime();
                long[] latencies = run(http, base, token, measured, concurrency);
                double seconds = (System.nanoTime() - start) / 1e9;
                double[] cpuAfter = cpuSeconds(service, postmaster);

                long rows;
                try (Connection c = pg.getDatabase("postgres", "parley_usage").getConnection();
                        Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT count(*) FROM usage_records")) {
                    rs.next();
                    rows = rs.getLong(1);
                }
                Arrays.sort(latencies);
                System.out.printf("RESULT events=%d batch=%d concurrency=%d seconds=%.2f events_per_sec=%.0f "
                        + "batch_ms_p50=%.1f batch_ms_p99=%.1f rows_stored=%d (expected %d)%n",
                        events, batch, concurrency, seconds, events / seconds,
                        latencies[latencies.length / 2] / 1e6, latencies[(int) (latencies.length * 0.99)] / 1e6,
                        rows, (long) events + warmup);
                double serviceCpu = cpuAfter[0] - cpuBefore[0];
                double postgresCpu = cpuAfter[1] - cpuBefore[1];
                System.out.printf("CPU during the measurement: service %.1f s, PostgreSQL %.1f s, load tool %.1f s;"
                        + " events per CPU-second of service+PostgreSQL: %.0f; load average %s%n",
                        serviceCpu, postgresCpu, cpuAfter[2] - cpuBefore[2], events / (serviceCpu + postgresCpu),
                        Files.readString(Path.of("/proc/loadavg")).trim());
                if (rows != (long) events + warmup) {
                    throw new IllegalStateException("row count mismatch: " + rows);
                }
            } finally {
                service.destroy();
                if (!service.waitFor(15, TimeUnit.SECONDS)) {
                    service.destroyForcibly();
                }
            }
        }
        System.exit(0);
    }

    /**
     * CPU seconds used so far by the service process, by PostgreSQL (the postmaster and its backends), and by this JVM.
     * On a shared machine these say more than wall-clock time alone.
     */
    private static double[] cpuSeconds(Process service, long postmasterPid) {
        double postgres = ProcessHandle.of(postmasterPid)
                .map(pm -> java.util.stream.Stream.concat(java.util.stream.Stream.of(pm), pm.descendants())
                        .mapToDouble(IngestBenchmark::cpu).sum())
                .orElse(0.0);
        double self = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
        return new double[] { cpu(service.toHandle()), postgres, self };
    }

    private static double cpu(ProcessHandle p) {
        return p.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
    }

    private static Path jar() {
        String configured = System.getProperty("bench.jar");
        for (String candidate : configured != null ? List.of(configured)
                : List.of("usage-service/target/quarkus-app/quarkus-run.jar", "target/quarkus-app/quarkus-run.jar")) {
            Path p = Path.of(candidate);
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath();
            }
        }
        throw new IllegalStateException("packaged usage-service not found; run mvn -pl usage-service package first");
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Process startService(Path jar, int port, String jdbcUrl) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        File log = jar.getParent().getParent().resolve("bench-usage-service.log").toFile();
        System.out.printf("starting %s on 127.0.0.1:%d (log: %s)%n", jar, port, log);
        List<String> command = new ArrayList<>(List.of(java, "-Xmx1g"));
        String extra = System.getProperty("bench.service-jvm-args", "");
        if (!extra.isBlank()) {
            command.addAll(List.of(extra.trim().split("\\s+")));
        }
        command.addAll(List.of(
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.datasource.jdbc.url=" + jdbcUrl,
                "-Dquarkus.datasource.username=postgres",
                "-Dquarkus.datasource.password=postgres",
                "-Dquarkus.oidc.auth-server-url=",
                "-Dquarkus.oidc.public-key=" + TestTokens.PUBLIC_KEY,
                "-Dquarkus.oidc.token.issuer=" + TestTokens.ISSUER,
                "-Dquarkus.log.level=WARN",
                "-jar", jar.toString()));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log)
                .start();
    }

    private static void awaitReady(HttpClient http, String base, Process service) {
        Awaitility.await("usage-service ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptionsInstanceOf(java.io.IOException.class)
                .until(() -> {
                    if (!service.isAlive()) {
                        throw new IllegalStateException("usage-service exited with " + service.exitValue() + "; see its log");
                    }
                    return http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
                });
    }

    /** Pre-rendered request bodies, so that the measurement spends client time on sending only. */
    private static List<byte[]> bodies(int events, int batch) {
        List<byte[]> bodies = new ArrayList<>();
        String now = Instant.now().toString();
        for (int done = 0; done < events; done += batch) {
            int n = Math.min(batch, events - done);
            StringBuilder b = new StringBuilder(n * 700).append("{\"events\":[");
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    b.append(',');
                }
                int k = done + i;
                b.append("{\"request_id\":\"").append(UUID.randomUUID()).append("\",\"timestamp\":\"").append(now)
                        .append("\",\"user_id\":\"user-").append(k % 50)
                        .append("\",\"org_id\":null,\"api_key_id\":null,\"model\":\"model-").append(k % 5)
                        .append("\",\"engine_type\":\"vllm\",\"deployment\":\"local-simulator\",")
                        .append("\"endpoint_kind\":\"chat_completions\",\"stream\":true,\"prompt_tokens\":")
                        .append(10 + k % 90).append(",\"completion_tokens\":").append(20 + k % 200)
                        .append(",\"ttft_ms\":").append(50 + k % 300).append(".5,\"latency_ms\":").append(500 + k % 3000)
                        .append(".25,\"tokens_per_sec\":47.1,\"status\":\"ok\",\"error_type\":null,")
                        .append("\"correlation_id\":\"corr-").append(k).append("\",")
                        .append("\"metadata\":{\"source\":\"bench\"},\"source\":\"bench\",\"attachments\":[]}");
            }
            bodies.add(b.append("]}").toString().getBytes(StandardCharsets.UTF_8));
        }
        return bodies;
    }

    /** Sends every body with {@code concurrency} senders; answers each request's latency in nanoseconds. */
    private static long[] run(HttpClient http, String base, String token, List<byte[]> bodies, int concurrency)
            throws Exception {
        long[] latencies = new long[bodies.size()];
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            List<Future<?>> senders = new ArrayList<>();
            for (int t = 0; t < concurrency; t++) {
                senders.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < bodies.size()) {
                        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/usage/events"))
                                .header("Authorization", "Bearer " + token)
                                .header("Content-Type", "application/json")
                                .timeout(Duration.ofSeconds(60))
                                .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i)))
                                .build();
                        long start = System.nanoTime();
                        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                        latencies[i] = System.nanoTime() - start;
                        if (r.statusCode() != 200 || !r.body().contains("\"rejected\":[]")
                                || r.body().contains("\"accepted\":0")) {
                            throw new IllegalStateException("batch " + i + " failed: " + r.statusCode() + " " + r.body());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : senders) {
                f.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return latencies;
    }
}
