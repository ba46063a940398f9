package io.parley.chat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import io.parley.chat.repository.TurnRepository;
import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/**
 * Benchmark of the shared turn log (issue 14; figures in docs/benchmarks.md), skipped unless
 * {@code -Dchatbench=true} (not under parley.*: chat-service maps that prefix):
 * <ol>
 * <li>follower latency per delta: "another replica" commits one delta event and its notification exactly as a
 * replica's writer does; this replica's follower (LISTEN, read, SSE) delivers it to an SSE client; measured from just
 * before the commit to the SSE line's arrival (one JVM, one clock);</li>
 * <li>write cost at 100 concurrent turns: the writer's transaction holding one new event of each of 100 running turns
 * (plus its notification), repeated.</li>
 * </ol>
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
@EnabledIfSystemProperty(named = "chatbench", matches = "true")
class TurnLogBenchmark {

    @Inject
    DataSource db;

    @Inject
    TurnRepository turns;

    @Test
    void followerLatencyPerDeltaAndWriteCostAt100ConcurrentTurns() throws Exception {
        String session = Api.createSession(Api.ALICE, "sim-model");
        Api.turn(Api.ALICE, session, "hello");
        String parent = Api.session(Api.ALICE, session).getString("messages[0].id");
        UUID turn = UUID.randomUUID();
        try (Connection c = db.getConnection()) {
            exec(c, "INSERT INTO chat_turns (id, session_id, owner, lease_until, started_at) VALUES (?, ?, 'bench', "
                    + "now() + interval '1 hour', now())", turn, UUID.fromString(session));
            exec(c, "INSERT INTO chat_messages (id, session_id, role, content, status, parent_id, created_at) VALUES "
                    + "(?, ?, 'assistant', '', 'streaming', ?, now())", turn, UUID.fromString(session),
                    UUID.fromString(parent));
        }
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        HttpResponse<InputStream> sse = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://localhost:" + RestAssured.port + "/v1/chat/sessions/" + session + "/turns/" + turn + "/events"))
                .header("Authorization", "Bearer " + Api.ALICE).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("data:") && line.contains("\"t\":")) {
                        long now = System.nanoTime();
                        long sent = Long.parseLong(line.replaceAll(".*\"t\":(\\d+).*", "$1"));
                        arrivals.add(now - sent);
                    }
                }
            } catch (Exception e) {
                // closed at the end
            }
        });
        reader.setDaemon(true);
        reader.start();
        int deltas = Integer.getInteger("chatbench.deltas", 300);
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            for (int seq = 1; seq <= deltas; seq++) {
                LockSupport.parkNanos(20_000_000L);
                long t = System.nanoTime();
                exec(c, "INSERT INTO chat_turn_events (turn_id, seq, name, data) VALUES (?, ?, 'delta', ?)", turn, seq,
                        "{\"id\":\"" + turn + "\",\"content\":\"tok \",\"t\":" + t + "}");
                exec(c, "SELECT pg_notify('parley_turn_events', ?)", turn + ":" + seq);
                c.commit();
            }
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (arrivals.size() < deltas && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000L);
        }
        List<Long> lat = new ArrayList<>(arrivals);
        Collections.sort(lat);
        System.out.printf("BENCH follower latency per delta over %d deltas (of %d): p50 %.2f ms, p95 %.2f ms, "
                + "p99 %.2f ms, max %.2f ms%n", lat.size(), deltas, pct(lat, 50), pct(lat, 95), pct(lat, 99),
                lat.get(lat.size() - 1) / 1e6);
        sse.body().close();

        // write cost: the writer's one transaction per cycle, one new event for each of 100 running turns
        int n = 100;
        List<UUID> ids = new ArrayList<>();
        try (Connection c = db.getConnection()) {
            for (int i = 0; i < n; i++) {
                UUID s = UUID.randomUUID();
                UUID t = UUID.randomUUID();
                exec(c, "INSERT INTO chat_sessions (id, user_id, model_name, created_at, updated_at) VALUES (?, "
                        + "'bench', 'sim-model', now(), now())", s);
                exec(c, "INSERT INTO chat_turns (id, session_id, owner, lease_until, started_at) VALUES (?, ?, "
                        + "'bench', now() + interval '1 hour', now())", t, s);
                ids.add(t);
            }
        }
        int cycles = Integer.getInteger("chatbench.cycles", 500);
        long cpu0 = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int cycle = 1; cycle <= cycles; cycle++) {
            List<TurnRepository.EventRow> rows = new ArrayList<>(n);
            for (UUID id : ids) {
                rows.add(new TurnRepository.EventRow(id, cycle, "delta",
                        "{\"id\":\"" + id + "\",\"content\":\" token\"}"));
            }
            turns.append(rows, java.util.Map.of());
        }
        double wall = (System.nanoTime() - t0) / 1e6;
        double cpu = (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0) / 1e6;
        long tokens = (long) cycles * n;
        System.out.printf("BENCH write cost at %d concurrent turns: %d transactions of %d events, %.2f ms per "
                + "transaction, %.1f us wall and %.1f us writer CPU per token (%d tokens); load average %s%n", n,
                cycles, n, wall / cycles, wall * 1000 / tokens, cpu * 1000 / tokens, tokens,
                new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg"))).trim());
    }

    private static double pct(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)) / 1e6;
    }

    private static void exec(Connection c, String sql, Object... args) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.execute();
        }
    }
}
