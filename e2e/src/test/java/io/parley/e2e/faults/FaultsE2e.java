package io.parley.e2e.faults;

import static io.restassured.RestAssured.given;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.parley.e2e.platform.LocalPlatform;

/** What the fault tests share: streaming calls of their own, usage rows read from PostgreSQL, metrics. */
final class FaultsE2e {

    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** One reader thread per open stream (blocking reads: not the common pool, which may have one thread). */
    private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "fault-test-stream-reader");
        thread.setDaemon(true);
        return thread;
    });

    private FaultsE2e() {
    }

    static String chatBody(String model, boolean stream, Integer maxTokens) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream
                + (maxTokens == null ? "" : ",\"max_tokens\":" + maxTokens)
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"tell me something\"}]}";
    }

    /** One streaming call read line by line on its own thread; {@link #done()} completes when the stream ends. */
    static final class StreamCall {

        final String correlation;
        final List<String> lines = new CopyOnWriteArrayList<>();
        volatile int status = -1;
        private final CompletableFuture<Void> done;

        private StreamCall(String correlation, CompletableFuture<Void> done) {
            this.correlation = correlation;
            this.done = done;
        }

        static StreamCall start(LocalPlatform platform, String token, String correlation, String body) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(platform.proxyUrl() + "/v1/chat/completions"))
                    .timeout(Duration.ofMinutes(3))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .header("X-Correlation-Id", correlation)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            CompletableFuture<Void> done = new CompletableFuture<>();
            StreamCall call = new StreamCall(correlation, done);
            HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).whenComplete((response, failure) -> {
                if (failure != null) {
                    done.completeExceptionally(failure);
                    return;
                }
                call.status = response.statusCode();
                CompletableFuture.runAsync(() -> {
                    try {
                        response.body().forEach(call.lines::add);
                        done.complete(null);
                    } catch (RuntimeException e) {
                        done.completeExceptionally(e);
                    }
                }, READERS);
            });
            return call;
        }

        CompletableFuture<Void> done() {
            return done;
        }

        long dataEvents() {
            return lines.stream().filter(l -> l.startsWith("data:")).count();
        }

        String text() {
            return String.join("\n", lines);
        }
    }

    /** A usage row as stored by usage-service. */
    record Row(String requestId, String correlationId, String status, String errorType) {
    }

    /** The usage rows whose correlation id starts with {@code prefix}, straight from usage-service's database. */
    static List<Row> rows(LocalPlatform platform, String prefix) {
        try (Connection c = DriverManager.getConnection(platform.jdbcUrl("parley_usage"), "parley", "parley");
                PreparedStatement s = c.prepareStatement("SELECT request_id, correlation_id, status, error_type "
                        + "FROM usage_records WHERE correlation_id LIKE ? ORDER BY correlation_id")) {
            s.setString(1, prefix + "%");
            List<Row> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final Pattern DROPPED = Pattern.compile(
            "(?m)^parley_proxy_usage_dropped_total(?:\\{[^}]*})? ([0-9.eE+-]+)$");

    /** The proxy's persisted {@code parley_proxy_usage_dropped_total} (0 when the series is not there yet). */
    static double dropped(LocalPlatform platform) {
        String text = given().baseUri(platform.proxyManagementUrl()).get("/q/metrics").then().statusCode(200).extract()
                .asString();
        Matcher m = DROPPED.matcher(text);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    /** Sum of {@code simulator_requests_total} for {@code model} on the main simulator. */
    static double simulatorRequests(LocalPlatform platform, String model) {
        String text = given().baseUri(platform.simulatorUrl()).get("/metrics").then().statusCode(200).extract()
                .asString();
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("simulator_requests_total{") && line.contains("model=\"" + model + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** The HTTP status of a GET (or -1 when nothing answers). */
    static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A non-streaming call: status and body. */
    static HttpResponse<String> call(LocalPlatform platform, String token, String correlation, String body) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(platform.proxyUrl() + "/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .header("X-Correlation-Id", correlation)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Long> countByStatus(List<Row> rows) {
        return rows.stream().collect(java.util.stream.Collectors.groupingBy(Row::status,
                java.util.TreeMap::new, java.util.stream.Collectors.counting()));
    }
}
