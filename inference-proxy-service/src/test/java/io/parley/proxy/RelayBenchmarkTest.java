package io.parley.proxy;

import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

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
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/**
 * Benchmark harness, not a test: added time to first content byte of the proxy against the fake paced upstream on
 * loopback, direct and through the proxy, interleaved, at c=1 and c=32. Run with
 * {@code mvn -pl inference-proxy-service verify -Dtest=RelayBenchmarkTest -Dparley.bench=true}; prints percentiles.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
@EnabledIfSystemProperty(named = "parley.bench", matches = "true")
class RelayBenchmarkTest {

    @TestHTTPResource("/")
    URL base;

    @Test
    void measureAddedTimeToFirstToken() throws Exception {
        Vertx vertx = Vertx.vertx();
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(256));
        URI upstream = URI.create(FakeServices.upstreamUrl());
        String token = ProxyClient.bearer();
        JsonObject body = ChatCompletionsStreamingTest.chat("sim-chat", true);
        try {
            for (int concurrency : new int[] { 1, 32 }) {
                int rounds = concurrency == 1 ? 300 : 20;
                List<Double> direct = new ArrayList<>();
                List<Double> proxied = new ArrayList<>();
                for (int warm = 0; warm < 2; warm++) {
                    batch(client, "127.0.0.1", upstream.getPort(), null, body, concurrency);
                    batch(client, "127.0.0.1", base.getPort(), token, body, concurrency);
                }
                for (int r = 0; r < rounds; r++) {
                    direct.addAll(batch(client, "127.0.0.1", upstream.getPort(), null, body, concurrency));
                    proxied.addAll(batch(client, "127.0.0.1", base.getPort(), token, body, concurrency));
                }
                System.out.printf("BENCH c=%d n=%d TTFT ms direct p50=%.3f p99=%.3f | proxied p50=%.3f p99=%.3f |"
                        + " added p50=%.3f p99=%.3f%n", concurrency, direct.size(), pct(direct, 50), pct(direct, 99),
                        pct(proxied, 50), pct(proxied, 99), pct(proxied, 50) - pct(direct, 50),
                        pct(proxied, 99) - pct(direct, 99));
            }
        } finally {
            vertx.close();
        }
    }

    private static List<Double> batch(HttpClient client, String host, int port, String token, JsonObject body,
            int concurrency) throws Exception {
        List<CompletableFuture<Double>> all = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            all.add(ttft(client, host, port, token, body));
        }
        List<Double> out = new ArrayList<>();
        for (CompletableFuture<Double> f : all) {
            out.add(f.get(30, TimeUnit.SECONDS));
        }
        return out;
    }

    /** Milliseconds from sending the request to the first content delta. */
    private static CompletableFuture<Double> ttft(HttpClient client, String host, int port, String token,
            JsonObject body) {
        CompletableFuture<Double> result = new CompletableFuture<>();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(host).setPort(port)
                .setURI("/v1/chat/completions").putHeader("Content-Type", "application/json")
                .putHeader("X-Request-Id", java.util.UUID.randomUUID().toString())
                .putHeader("X-Correlation-Id", java.util.UUID.randomUUID().toString());
        if (token != null) {
            options.putHeader("Authorization", token);
        }
        long start = System.nanoTime();
        client.request(options).onFailure(result::completeExceptionally).onSuccess(req -> {
            req.response().onFailure(result::completeExceptionally).onSuccess(res -> {
                res.handler(chunk -> {
                    if (!result.isDone() && chunk.toString(StandardCharsets.UTF_8).contains("\"content\":\"H")) {
                        result.complete((System.nanoTime() - start) / 1e6);
                    }
                });
                res.endHandler(v -> result.complete(-1.0));
            });
            req.end(body.encode());
        });
        return result;
    }

    private static double pct(List<Double> values, int p) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
