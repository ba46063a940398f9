package io.parley.e2e.faults;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.parley.e2e.Clients;
import io.parley.e2e.FaultFixtures;
import io.parley.e2e.PlatformExtension;
import io.parley.e2e.faults.FaultsE2e.Row;
import io.parley.e2e.faults.FaultsE2e.StreamCall;
import io.parley.e2e.platform.LocalPlatform;

/**
 * Issue 19, SIGTERM to the proxy with 20 open streams (the proxy's defaults: pre-stop delay 2 s, drain time 10 s):
 * readiness goes DOWN first, new calls are refused with 503 {@code server_shutting_down}, streams that end within the
 * drain end with {@code [DONE]}, the others get the {@code server_shutting_down} error event; every one has its usage row.
 */
@ExtendWith(PlatformExtension.class)
class ProxyDrainIT {

    @Test
    void aSigtermDrainsTwentyOpenStreamsAndRecordsEachOfThem(LocalPlatform platform) throws Exception {
        String alice = Clients.token(platform, "alice");
        String run = "drain-" + UUID.randomUUID() + "-";
        String ready = platform.proxyUrl() + "/q/health/ready";
        double before = FaultsE2e.simulatorRequests(platform, FaultFixtures.LONG_MODEL);
        List<StreamCall> shortCalls = new ArrayList<>();
        List<StreamCall> longCalls = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            // 150 tokens 20 ms apart: about 3 s, well within the drain time
            shortCalls.add(StreamCall.start(platform, alice, run + "short-" + i,
                    FaultsE2e.chatBody(FaultFixtures.LONG_MODEL, true, 150)));
            // 2000 tokens: 40 s, longer than the drain time
            longCalls.add(StreamCall.start(platform, alice, run + "long-" + i,
                    FaultsE2e.chatBody(FaultFixtures.LONG_MODEL, true, null)));
        }
        List<StreamCall> all = new ArrayList<>(shortCalls);
        all.addAll(longCalls);
        await().atMost(Duration.ofSeconds(60)).until(
                () -> FaultsE2e.simulatorRequests(platform, FaultFixtures.LONG_MODEL) >= before + 20);
        await().atMost(Duration.ofSeconds(60)).until(() -> longCalls.stream().allMatch(c -> c.dataEvents() >= 2));

        CompletableFuture<Integer> exit = platform.terminateProcess(LocalPlatform.PROXY);
        try {
            // readiness first: DOWN while the long streams are still open
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> FaultsE2e.status(ready) == 503);
            assertTrue(longCalls.stream().noneMatch(c -> c.done().isDone()), "streams still open when not ready");
            // after the pre-stop delay a new call is refused, OpenAI-shaped
            HttpResponse<String> refused = await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> FaultsE2e.call(platform, alice, "probe-" + run,
                            FaultsE2e.chatBody("echo-sim", false, null)), r -> r.statusCode() == 503);
            assertTrue(refused.body().contains("\"code\":\"server_shutting_down\""), refused.body());
            assertTrue(refused.body().contains("\"error\""), refused.body());

            CompletableFuture.allOf(all.stream().map(c -> c.done().exceptionally(e -> null))
                    .toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            exit.get(60, TimeUnit.SECONDS);
        } finally {
            exit.exceptionally(e -> -1).get(90, TimeUnit.SECONDS);
            platform.restartProcess(LocalPlatform.PROXY);
        }

        for (StreamCall c : shortCalls) {
            assertEquals(200, c.status, c.text());
            assertTrue(c.text().contains("data: [DONE]"), "a stream finished within the drain ends normally: "
                    + c.text());
            assertFalse(c.text().contains("server_shutting_down"), c.text());
        }
        for (StreamCall c : longCalls) {
            assertEquals(200, c.status, c.text());
            assertTrue(c.text().contains("server_shutting_down"), "a stream cut by the drain says why: "
                    + tail(c.text()));
            assertTrue(c.lines.stream().filter(l -> l.startsWith("data:")).reduce((a, b) -> b).orElse("")
                    .contains("server_shutting_down"), "the error event is the last event: " + tail(c.text()));
        }

        List<Row> rows = await().atMost(Duration.ofSeconds(90)).until(() -> FaultsE2e.rows(platform, run),
                found -> found.size() >= all.size());
        assertEquals(all.size(), rows.size(), "one usage row per stream: " + rows);
        Map<String, String> statusByCorrelation = rows.stream()
                .collect(Collectors.toMap(Row::correlationId, Row::status));
        shortCalls.forEach(c -> assertEquals("ok", statusByCorrelation.get(c.correlation), "usage: " + rows));
        longCalls.forEach(c -> assertEquals("interrupted", statusByCorrelation.get(c.correlation), "usage: " + rows));
        assertEquals(0.0, FaultsE2e.dropped(platform), "parley_proxy_usage_dropped_total after the restart");
    }

    private static String tail(String text) {
        return text.length() > 600 ? "..." + text.substring(text.length() - 600) : text;
    }
}
