package io.parley.e2e.bench;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import io.parley.e2e.platform.LocalPlatform;
import io.parley.e2e.platform.PortPlan;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;

/**
 * The usage soak of issue 19 (docs/benchmarks.md, "Usage soak"): a whole platform of its own (ports of the local plan
 * shifted by 20000, so neither {@code make run} nor the e2e suite is in the way), {@code parley.soak.streams} clients
 * (256) each streaming paced chat completions from the simulator's {@code llama-3.1-8b-sim} (150 ms TTFT, 20 ms per
 * token) through the proxy with one Parley API key, a pause between calls, {@code parley.soak.disconnect} (20 %) of the
 * calls left abruptly after a few events, and one graceful proxy restart (SIGTERM, then start) every
 * {@code parley.soak.restart-every} (5 min) for {@code parley.soak.minutes} (30). Every call that was answered 200 has a
 * request id; at the end each of them must have exactly one row in usage-service's {@code usage_records}, and the
 * proxy's persisted {@code parley_proxy_usage_dropped_total} must be 0. The proxy's heap (used, and live data after
 * the last major GC) and open file descriptors are sampled every minute.
 * <p>
 * Off unless {@code -Dparley.soak=true}: it runs for half an hour. Loopback only; it stops by itself; the platform it
 * started is stopped at the end. Report: stdout and {@code target/usage-soak.md}.
 */
@EnabledIfSystemProperty(named = "parley.soak", matches = "true")
class UsageSoakIT {

    static final String MODEL = "llama-3.1-8b-sim";
    static final Pattern HEAP = Pattern.compile("^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} ([0-9.eE+-]+)",
            Pattern.MULTILINE);
    static final Pattern LIVE = Pattern.compile("^jvm_gc_live_data_size_bytes(?:\\{[^}]*})? ([0-9.eE+-]+)",
            Pattern.MULTILINE);
    static final Pattern DROPPED = Pattern.compile("^parley_proxy_usage_dropped_total(?:\\{[^}]*})? ([0-9.eE+-]+)",
            Pattern.MULTILINE);

    final int streams = Integer.getInteger("parley.soak.streams", 256);
    final double disconnect = Double.parseDouble(System.getProperty("parley.soak.disconnect", "0.2"));
    final Duration length = Duration.ofMinutes(Long.getLong("parley.soak.minutes", 30));
    final Duration restartEvery = Duration.parse("PT" + System.getProperty("parley.soak.restart-every", "5m")
            .toUpperCase());
    final int maxTokens = Integer.getInteger("parley.soak.max-tokens", 60);
    final Duration pause = Duration.ofMillis(Long.getLong("parley.soak.pause-ms", 2000));

    final Set<String> served = ConcurrentHashMap.newKeySet();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong leftEarly = new AtomicLong();
    final AtomicLong completed = new AtomicLong();
    final List<String> samples = new ArrayList<>();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void everyServedCallIsStoredOnceThroughRestartsAndDisconnects() throws Exception {
        Path root = Path.of(System.getProperty("parley.root", "..")).toAbsolutePath().normalize();
        Path data = Path.of("target", "usage-soak").toAbsolutePath();
        deleteTree(data);
        PortPlan ports = PortPlan.local().shiftedBy(20000);
        try (LocalPlatform platform = new LocalPlatform(root, data, ports)) {
            platform.start();
            String key = apiKey(platform);
            awaitModel(platform, key);
            Instant begin = Instant.now();
            Instant end = begin.plus(length);
            ExecutorService clients = Executors.newFixedThreadPool(streams);
            for (int i = 0; i < streams; i++) {
                clients.submit(() -> client(platform, key, end));
            }
            Instant nextRestart = begin.plus(restartEvery);
            Instant nextSample = begin;
            int restarts = 0;
            while (Instant.now().isBefore(end)) {
                if (!Instant.now().isBefore(nextSample)) {
                    sample(platform, Duration.between(begin, Instant.now()), restarts);
                    nextSample = nextSample.plus(Duration.ofMinutes(1));
                }
                if (!Instant.now().isBefore(nextRestart) && Instant.now().plus(Duration.ofSeconds(30)).isBefore(end)) {
                    platform.terminateProcess(LocalPlatform.PROXY).get(2, TimeUnit.MINUTES);
                    platform.restartProcess(LocalPlatform.PROXY);
                    restarts++;
                    nextRestart = nextRestart.plus(restartEvery);
                }
                TimeUnit.MILLISECONDS.sleep(200); // the soak's own clock, not a test synchronisation
            }
            clients.shutdown();
            assertTrue(clients.awaitTermination(2, TimeUnit.MINUTES), "clients did not finish");
            sample(platform, Duration.between(begin, Instant.now()), restarts);

            Map<String, Long> statuses = new TreeMap<>();
            long[] stored = new long[1];
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(5)).until(() -> {
                stored[0] = storedRows(platform, statuses);
                return stored[0] >= served.size();
            });
            String metrics = get(platform.proxyManagementUrl() + "/q/metrics");
            double dropped = first(DROPPED, metrics);
            String report = report(restarts, stored[0], statuses, dropped);
            System.out.println(report);
            Files.writeString(Path.of("target", "usage-soak.md"), report, StandardCharsets.UTF_8);
            assertEquals(served.size(), stored[0], "rows stored for the calls served");
            assertEquals(0.0, dropped, "parley_proxy_usage_dropped_total");
        }
    }

    /** One client: streams, pauses, streams again until the end; leaves some calls after a few events. */
    private void client(LocalPlatform platform, String key, Instant end) {
        String body = "{\"model\":\"" + MODEL + "\",\"stream\":true,\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"soak\"}]}";
        while (Instant.now().isBefore(end)) {
            boolean leave = ThreadLocalRandom.current().nextDouble() < disconnect;
            try {
                HttpRequest request = HttpRequest.newBuilder(URI.create(platform.proxyUrl() + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = response.body()) {
                    if (response.statusCode() != 200) {
                        refused.incrementAndGet();
                        in.readAllBytes();
                    } else {
                        response.headers().firstValue("X-Request-Id").ifPresent(served::add);
                        if (leave) {
                            // abrupt: a few events, then the connection is dropped without reading the rest
                            in.readNBytes(200 + ThreadLocalRandom.current().nextInt(1500));
                            leftEarly.incrementAndGet();
                        } else {
                            in.readAllBytes();
                            completed.incrementAndGet();
                        }
                    }
                }
            } catch (IOException e) {
                failed.incrementAndGet(); // the proxy restarting: connection refused or cut
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(pause.toMillis()); // pacing of the workload, not synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void sample(LocalPlatform platform, Duration at, int restarts) {
        String line;
        try {
            long pid = platform.pid(LocalPlatform.PROXY);
            long fds;
            try (Stream<Path> list = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                fds = list.count();
            }
            String metrics = get(platform.proxyManagementUrl() + "/q/metrics");
            line = String.format("| %d | %d | %d | %.1f | %.1f | %d | %d |", at.toMinutes(), restarts, pid,
                    sum(HEAP, metrics) / 1048576, first(LIVE, metrics) / 1048576, fds, served.size());
        } catch (RuntimeException | IOException e) {
            line = "| " + at.toMinutes() + " | " + restarts + " | (proxy restarting: " + e.getMessage() + ") | | | | "
                    + served.size() + " |";
        }
        samples.add(line);
        System.out.println("soak " + line);
    }

    private long storedRows(LocalPlatform platform, Map<String, Long> statuses) throws Exception {
        try (Connection c = DriverManager.getConnection(platform.jdbcUrl("parley_usage"), "parley", "parley");
                Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE served (request_id text PRIMARY KEY)");
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO served VALUES (?)")) {
                for (String id : served) {
                    insert.setString(1, id);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            statuses.clear();
            try (ResultSet rs = s.executeQuery("SELECT r.status, count(*) FROM usage_records r JOIN served USING "
                    + "(request_id) GROUP BY r.status")) {
                while (rs.next()) {
                    statuses.put(rs.getString(1), rs.getLong(2));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM usage_records r JOIN served USING (request_id)")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private String report(int restarts, long stored, Map<String, Long> statuses, double dropped) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("streams %d, %d min, proxy restarts %d, disconnect share %.2f%n", streams,
                length.toMinutes(), restarts, disconnect));
        out.append(String.format("calls answered 200 (rows expected) %d; rows stored %d; by status %s%n",
                served.size(), stored, statuses));
        out.append(String.format("read to the end %d, left early %d, refused (non-200) %d, connection failed %d; "
                + "parley_proxy_usage_dropped_total %.0f%n%n", completed.get(), leftEarly.get(), refused.get(),
                failed.get(), dropped));
        out.append("| minute | restarts so far | proxy pid | heap used MiB | live data after major GC MiB | open fds "
                + "| calls served so far |\n|---|---|---|---|---|---|---|\n");
        samples.forEach(s -> out.append(s).append('\n'));
        return out.toString();
    }

    private String apiKey(LocalPlatform platform) {
        String token = RestAssured.given().contentType(ContentType.URLENC)
                .formParam("grant_type", "password").formParam("client_id", "parley-cli")
                .formParam("username", "alice").formParam("password", "alice")
                .post(platform.tokenUrl()).then().statusCode(200).extract().path("access_token");
        return RestAssured.given().baseUri(platform.proxyUrl()).auth().oauth2(token).contentType(ContentType.JSON)
                .body("{\"name\":\"usage soak\"}").post("/v1/keys").then().statusCode(201).extract().path("key");
    }

    private void awaitModel(LocalPlatform platform, String key) {
        await().atMost(Duration.ofSeconds(90)).until(() -> RestAssured.given().baseUri(platform.proxyUrl())
                .auth().oauth2(key).get("/v1/models").then().extract().asString().contains(MODEL));
    }

    private String get(String url) throws IOException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static double sum(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return total;
    }

    private static double first(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
