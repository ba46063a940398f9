package io.parley.e2e.faults;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
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
 * Issue 19, kill -9 of the proxy with calls in flight: the usage spool journals every call at its start, so after the
 * restart each of them has exactly one usage row, {@code interrupted}, and nothing counts as dropped.
 */
@ExtendWith(PlatformExtension.class)
class ProxyKillIT {

    @Test
    void callsInFlightAtAKillHaveExactlyOneInterruptedUsageRowAfterTheRestart(LocalPlatform platform) {
        String alice = Clients.token(platform, "alice");
        String run = "kill-" + UUID.randomUUID() + "-";
        double slowBefore = FaultsE2e.simulatorRequests(platform, FaultFixtures.SLOW_MODEL);
        List<StreamCall> calls = new ArrayList<>();
        // three waiting for their first token (60 s away), three in the middle of a 40 s answer
        for (int i = 0; i < 3; i++) {
            calls.add(StreamCall.start(platform, alice, run + "slow-" + i,
                    FaultsE2e.chatBody(FaultFixtures.SLOW_MODEL, true, null)));
        }
        await().atMost(Duration.ofSeconds(60)).until(
                () -> FaultsE2e.simulatorRequests(platform, FaultFixtures.SLOW_MODEL) >= slowBefore + 3);
        List<StreamCall> longCalls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            longCalls.add(StreamCall.start(platform, alice, run + "long-" + i,
                    FaultsE2e.chatBody(FaultFixtures.LONG_MODEL, true, null)));
        }
        calls.addAll(longCalls);
        await().atMost(Duration.ofSeconds(60)).until(() -> longCalls.stream().allMatch(c -> c.dataEvents() >= 5));
        assertTrue(calls.stream().noneMatch(c -> c.done().isDone()), "all six still open before the kill");

        platform.killProcess(LocalPlatform.PROXY);
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> calls.stream().allMatch(c -> c.done().isDone()));
        } finally {
            platform.restartProcess(LocalPlatform.PROXY);
        }

        List<Row> rows = await().atMost(Duration.ofSeconds(90)).until(() -> FaultsE2e.rows(platform, run),
                found -> found.size() >= calls.size());
        assertEquals(calls.size(), rows.size(), "one usage row per call in flight: " + rows);
        Set<String> correlations = rows.stream().map(Row::correlationId).collect(Collectors.toSet());
        assertEquals(calls.stream().map(c -> c.correlation).collect(Collectors.toSet()), correlations,
                "each call has its row: " + rows);
        assertEquals(calls.size(), rows.stream().map(Row::requestId).distinct().count(), "distinct request ids");
        assertTrue(rows.stream().allMatch(r -> "interrupted".equals(r.status())), "all interrupted: " + rows);
        assertEquals(0.0, FaultsE2e.dropped(platform), "parley_proxy_usage_dropped_total after the restart");
    }
}
