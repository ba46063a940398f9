package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

/**
 * Turns shared between replicas through PostgreSQL (issue 14, ADR 0006). "Another replica" is played by this test
 * writing the shared tables and notifications exactly as a replica does; this replica must follow, stop and finish
 * such turns, and must answer stops and takeovers of its own turns through the same tables. The heartbeat is off here
 * (1 h), so a stop of a turn run here can only arrive through its notification.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
@TestProfile(SharedTurnTest.Profile.class)
class SharedTurnTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("parley.turns.heartbeat-interval", "1h", "parley.turns.takeover-interval", "1s");
        }
    }

    static final String OTHER = "other-replica/0123456789ab";

    @Inject
    DataSource db;

    @Inject
    io.parley.chat.service.TurnLog turns;

    /** A session with one answered turn (sim-model); returns {session id, user message id}. */
    private String[] sessionWithOneTurn() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turn(ALICE, id, "hello");
        return new String[] { id, Api.session(ALICE, id).getString("messages[0].id") };
    }

    /** Another replica's running turn in the session (answering {@code parent}), its lease ending in {@code lease}. */
    private UUID otherReplicasTurn(String sessionId, String parent, String lease) throws Exception {
        UUID turn = UUID.randomUUID();
        try (Connection c = db.getConnection()) {
            exec(c, "INSERT INTO chat_turns (id, session_id, owner, lease_until, started_at) VALUES (?, ?, ?, now() + "
                    + "?::interval, now())", turn, UUID.fromString(sessionId), OTHER, lease);
            exec(c, "INSERT INTO chat_messages (id, session_id, role, content, status, parent_id, created_at) VALUES "
                    + "(?, ?, 'assistant', '', 'streaming', ?, now())", turn, UUID.fromString(sessionId),
                    UUID.fromString(parent));
        }
        append(turn, 1, "message_start", "{\"id\":\"" + turn + "\",\"role\":\"assistant\"}");
        return turn;
    }

    private void append(UUID turn, int seq, String name, String data) throws Exception {
        try (Connection c = db.getConnection()) {
            exec(c, "INSERT INTO chat_turn_events (turn_id, seq, name, data) VALUES (?, ?, ?, ?)", turn, seq, name,
                    data);
            exec(c, "SELECT pg_notify('parley_turn_events', ?)", turn + ":" + seq);
        }
    }

    private static void exec(Connection c, String sql, Object... args) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.execute();
        }
    }

    private Object value(String sql, Object... args) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getObject(1) : null;
            }
        }
    }

    private static String delta(UUID turn, String text) {
        return "{\"id\":\"" + turn + "\",\"content\":\"" + text + "\"}";
    }

    @Test
    void aTurnOfAnotherReplicaIsReplayedFromLastEventIdAndFollowedLiveToItsEnd() throws Exception {
        String[] s = sessionWithOneTurn();
        UUID turn = otherReplicasTurn(s[0], s[1], "1 minute");
        append(turn, 2, "delta", delta(turn, "Hel"));
        try (LiveTurn live = LiveTurn.get(ALICE, "/v1/chat/sessions/" + s[0] + "/turns/" + turn + "/events", "1")) {
            assertEquals(200, live.status());
            await().atMost(Duration.ofSeconds(10)).until(() -> live.events().size() == 1);
            append(turn, 3, "delta", delta(turn, "lo"));
            await().atMost(Duration.ofSeconds(10)).until(() -> live.events().size() == 2);
            try (Connection c = db.getConnection()) {
                exec(c, "UPDATE chat_messages SET content = 'Hello', status = 'complete' WHERE id = ?", turn);
                exec(c, "UPDATE chat_turns SET ended_at = now() WHERE id = ?", turn);
            }
            append(turn, 4, "message_end", "{\"id\":\"" + turn + "\",\"content\":\"Hello\",\"status\":\"complete\"}");
            await().atMost(Duration.ofSeconds(10)).until(live::finished);
            assertEquals(List.of("delta", "delta", "message_end"), live.names());
            assertEquals(List.of("2", "3", "4"), live.events().stream().map(SseEvents.Event::id).toList());
            assertEquals("Hel", live.events().get(0).json().getString("content"));
            assertEquals("complete", live.events().get(2).json().getString("status"));
        }
    }

    @Test
    void theLogOfATurnRunHereIsWhatAnotherReplicaReplays() throws Exception {
        String id = Api.createSession(ALICE, "sim-model");
        List<SseEvents.Event> seen = Api.turn(ALICE, id, "hello");
        UUID turn = UUID.fromString(seen.get(0).json().getString("id"));
        List<String> stored = new java.util.ArrayList<>();
        try (Connection c = db.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT seq || ' ' || name FROM chat_turn_events WHERE turn_id = ? ORDER BY seq")) {
            ps.setObject(1, turn);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.add(rs.getString(1));
                }
            }
        }
        assertEquals(seen.stream().map(e -> e.id() + " " + e.name()).toList(), stored);
        assertNotNull(value("SELECT ended_at FROM chat_turns WHERE id = ?", turn));
    }

    /**
     * A client of the replica running a turn is shown only events already in the shared log: were the replica to die
     * now, the one finishing the turn numbers its {@code error} and {@code message_end} after the last logged event, so
     * a client resuming with the {@code Last-Event-ID} it was shown gets them (found by the e2e ChatReplicasIT: shown
     * deltas that were never logged made that resume an empty 200 stream). The log's writes are held back by a lock
     * while the whole answer arrives from the upstream.
     */
    @Test
    void aClientOfTheRunningReplicaIsShownOnlyEventsAlreadyInTheSharedLog() throws Exception {
        String id = Api.createSession(ALICE, "slow-model");
        try (LiveTurn live = LiveTurn.post(ALICE, id, "{\"content\":\"long answer\"}")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> live.names().contains("delta"));
            UUID turnId = UUID.fromString(live.turnId());
            try (Connection lock = db.getConnection()) {
                lock.setAutoCommit(false);
                exec(lock, "LOCK TABLE chat_turn_events IN EXCLUSIVE MODE");
                // the upstream sends the rest of the answer while nothing can be logged
                await().atMost(Duration.ofSeconds(10)).until(() -> !"streaming".equals(turns.local(turnId).status()));
                long logged;
                try (PreparedStatement ps = lock.prepareStatement(
                        "SELECT coalesce(max(seq), 0) FROM chat_turn_events WHERE turn_id = ?")) {
                    ps.setObject(1, turnId);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        logged = rs.getLong(1);
                    }
                }
                long shown = live.events().stream().filter(e -> e.id() != null).mapToLong(e -> Long.parseLong(e.id()))
                        .max().orElse(0);
                assertTrue(shown <= logged, "shown up to event " + shown + ", logged up to " + logged);
                lock.rollback();
            }
            await().atMost(Duration.ofSeconds(30)).until(live::finished);
            assertEquals("message_end", live.names().get(live.names().size() - 1));
            String text = live.events().stream().filter(e -> "delta".equals(e.name()))
                    .map(e -> e.json().getString("content")).collect(java.util.stream.Collectors.joining());
            assertEquals(TurnLifecycleTest.SLOW_ANSWER, text);
        }
    }

    @Test
    void aStopOfAnotherReplicasTurnIsNotifiedToItAndAnswers200OnlyOnceItsEndIsStored() throws Exception {
        String[] s = sessionWithOneTurn();
        UUID turn = otherReplicasTurn(s[0], s[1], "1 minute");
        append(turn, 2, "delta", delta(turn, "so far"));
        try (Connection listen = db.getConnection()) {
            try (Statement st = listen.createStatement()) {
                st.execute("LISTEN parley_turn_stop");
            }
            CompletableFuture<Response> stop = CompletableFuture.supplyAsync(
                    () -> as(ALICE).post("/v1/chat/sessions/" + s[0] + "/turns/" + turn + "/stop"));
            PGConnection pg = listen.unwrap(PGConnection.class);
            List<String> got = new java.util.ArrayList<>();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                PGNotification[] n = pg.getNotifications(200);
                if (n != null) {
                    for (PGNotification x : n) {
                        got.add(x.getParameter());
                    }
                }
                return got.contains(turn.toString());
            });
            assertNotNull(value("SELECT stop_requested_at FROM chat_turns WHERE id = ?", turn));
            assertTrue(!stop.isDone(), "the stop must wait for the owner to store the end");
            // the owner ends it
            try (Connection c = db.getConnection()) {
                exec(c, "UPDATE chat_messages SET content = 'so far', status = 'stopped' WHERE id = ?", turn);
                exec(c, "UPDATE chat_turns SET ended_at = now() WHERE id = ?", turn);
            }
            Response r = stop.get(15, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            JsonPath body = r.jsonPath();
            assertEquals("stopped", body.getString("stop_result"));
            assertEquals("stopped", body.getString("status"));
            assertEquals("so far", body.getString("content"));
        }
    }

    @Test
    void aStopOfATurnThatHadEndedSaysSo() {
        String[] s = sessionWithOneTurn();
        String answer = Api.session(ALICE, s[0]).getString("messages[1].id");
        as(ALICE).post("/v1/chat/sessions/" + s[0] + "/turns/" + answer + "/stop").then().statusCode(200)
                .body("stop_result", equalTo("already_ended")).body("status", equalTo("complete"));
    }

    @Test
    void aStopRecordedByAnotherReplicaStopsATurnRunHereAndCancelsItsUpstream() throws Exception {
        String id = Api.createSession(ALICE, "hang-model");
        int cancelsBefore = Api.proxyCancels();
        try (LiveTurn live = LiveTurn.post(ALICE, id, "{\"content\":\"never ending\"}")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> live.names().stream().filter("delta"::equals).count() == 2);
            UUID turn = UUID.fromString(live.turnId());
            try (Connection c = db.getConnection()) {
                exec(c, "UPDATE chat_turns SET stop_requested_at = now() WHERE id = ?", turn);
                exec(c, "SELECT pg_notify('parley_turn_stop', ?)", turn.toString());
            }
            await().atMost(Duration.ofSeconds(10)).until(live::finished);
            SseEvents.Event end = live.events().get(live.events().size() - 1);
            assertEquals("message_end", end.name());
            assertEquals("stopped", end.json().getString("status"));
            assertEquals("thinking hard", end.json().getString("content"));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> Api.proxyCancels() > cancelsBefore);
        assertEquals("stopped", Api.session(ALICE, id).getString("messages[1].status"));
    }

    @Test
    void aTurnWhoseReplicaIsGoneIsFinishedAsInterruptedWithItsTextAndCanBeRegenerated() throws Exception {
        String[] s = sessionWithOneTurn();
        UUID turn = otherReplicasTurn(s[0], s[1], "-1 minute");
        append(turn, 2, "delta", delta(turn, "partial "));
        append(turn, 3, "delta", delta(turn, "text"));
        try (Connection c = db.getConnection()) {
            // the last partial save was older than the log
            exec(c, "UPDATE chat_messages SET content = 'partial ' WHERE id = ?", turn);
        }
        try (LiveTurn live = LiveTurn.get(ALICE, "/v1/chat/sessions/" + s[0] + "/turns/" + turn + "/events", "3")) {
            await().atMost(Duration.ofSeconds(30)).until(live::finished);
            assertEquals(List.of("error", "message_end"), live.names());
            assertEquals("error", live.events().get(1).json().getString("status"));
            assertEquals("partial text", live.events().get(1).json().getString("content"));
        }
        JsonPath m = Api.session(ALICE, s[0]);
        assertEquals("error", m.getString("messages[2].status"));
        assertEquals("partial text", m.getString("messages[2].content"));
        assertEquals("interrupted: the server running this answer stopped", m.getString("messages[2].error"));
        // the chat goes on: the answer can be regenerated here
        String body = as(ALICE).accept("text/event-stream")
                .post("/v1/chat/sessions/" + s[0] + "/messages/" + turn + "/regenerate")
                .then().statusCode(200).extract().asString();
        List<SseEvents.Event> events = SseEvents.parse(body);
        assertEquals("complete", events.get(events.size() - 1).json().getString("status"));
    }

    @Test
    void aSecondTurnWhileOneRunsOnAnotherReplicaAnswers409AndStoresNothing() throws Exception {
        String[] s = sessionWithOneTurn();
        otherReplicasTurn(s[0], s[1], "1 minute");
        int before = Api.session(ALICE, s[0]).getList("messages").size();
        as(ALICE).body("{\"content\":\"me too\"}").post("/v1/chat/sessions/" + s[0] + "/turns")
                .then().statusCode(409).body("error.code", equalTo("turn_in_progress"));
        as(ALICE).post("/v1/chat/sessions/" + s[0] + "/messages/" + s[1] + "/regenerate")
                .then().statusCode(409).body("error.code", equalTo("turn_in_progress"));
        assertEquals(before, Api.session(ALICE, s[0]).getList("messages").size());
    }
}
