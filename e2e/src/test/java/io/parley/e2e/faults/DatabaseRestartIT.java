package io.parley.e2e.faults;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.parley.e2e.Clients;
import io.parley.e2e.PlatformExtension;
import io.parley.e2e.faults.FaultsE2e.Row;
import io.parley.e2e.platform.LocalPlatform;

/**
 * Issue 19, PostgreSQL stopped and restarted under load: the proxy keeps serving (usage waits in its spool) and every
 * call has exactly one usage row afterwards; chat-service answers 503 while the database is down and its first requests
 * after the restart succeed (stale pooled connections cost no request).
 */
@ExtendWith(PlatformExtension.class)
class DatabaseRestartIT {

    static final int CALLS = 60;

    @Test
    void callsServedWhilePostgresIsDownHaveExactlyOneUsageRowEachAndChatAnswers503ThenRecovers(
            LocalPlatform platform) throws Exception {
        String alice = Clients.token(platform, "alice");
        String run = "pgdown-" + UUID.randomUUID() + "-";
        // chat-service's pool holds connections from before the outage
        Clients.chat(platform, alice).get("/v1/chat/sessions").then().statusCode(200);

        List<HttpResponse<String>> answers = new ArrayList<>();
        platform.stopDatabase();
        try {
            Clients.chat(platform, alice).get("/v1/chat/sessions")
                    .then().statusCode(503)
                    .body(containsString("database_unavailable"));
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<HttpResponse<String>>> futures = new ArrayList<>();
                for (int i = 0; i < CALLS; i++) {
                    String correlation = run + i;
                    boolean stream = i % 2 == 0;
                    futures.add(pool.submit(() -> FaultsE2e.call(platform, alice, correlation,
                            FaultsE2e.chatBody("echo-sim", stream, null))));
                }
                for (Future<HttpResponse<String>> f : futures) {
                    answers.add(f.get());
                }
            } finally {
                pool.shutdownNow();
            }
        } finally {
            platform.startDatabase();
        }
        answers.forEach(a -> assertEquals(200, a.statusCode(), "served while PostgreSQL is down: " + a.body()));

        // right after the restart: no request pays for a stale pooled connection
        for (int i = 0; i < 5; i++) {
            Clients.chat(platform, alice).get("/v1/chat/sessions").then().statusCode(200);
        }

        List<Row> rows = await().atMost(Duration.ofSeconds(120)).until(() -> FaultsE2e.rows(platform, run),
                found -> found.size() >= CALLS);
        assertEquals(CALLS, rows.size(), "one usage row per call: " + FaultsE2e.countByStatus(rows));
        assertEquals(CALLS, rows.stream().map(Row::correlationId).distinct().count(), "no call twice");
        assertEquals(CALLS, rows.stream().map(Row::requestId).distinct().count(), "distinct request ids");
        assertEquals(CALLS, rows.stream().filter(r -> "ok".equals(r.status())).count(),
                "all ok: " + FaultsE2e.countByStatus(rows));
        assertEquals(0.0, FaultsE2e.dropped(platform), "parley_proxy_usage_dropped_total");
    }
}
