package io.parley.e2e.chat;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.parley.e2e.Clients;
import io.parley.e2e.FaultFixtures;
import io.parley.e2e.PlatformExtension;
import io.parley.e2e.platform.LocalPlatform;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

/**
 * Issue 14 end to end: two chat-service processes ({@link LocalPlatform#CHAT}, "A", and a second replica "B" on its
 * own port) on one PostgreSQL, with the real proxy, simulator and Keycloak. A turn started on A is followed live on B
 * from {@code Last-Event-ID}, stopped through B (the simulator counts the upstream disconnect), regenerated through B;
 * A killed with SIGKILL mid-turn leaves the answer finished as interrupted within 30 s and the chat goes on through B;
 * a rolling restart (SIGTERM, restart, one replica after the other) during sequential turns loses none and leaves none
 * {@code streaming}; PostgreSQL stopped across a turn's end leaves stored exactly what the client was shown.
 * <p>
 * Each test brings back what it stopped (replica, database), so later test classes find the platform as it was.
 */
@ExtendWith(PlatformExtension.class)
class ChatReplicasIT {

    static final String REPLICA_B = "chat-service-b";
    /** The demo model: first token after 150 ms, then 20 ms per token. */
    static final String FAST_MODEL = "llama-3.1-8b-sim";
    /** 2,000 tokens 20 ms apart: a turn that runs for 40 s unless stopped or capped. */
    static final String LONG_MODEL = FaultFixtures.LONG_MODEL;
    static final String INTERRUPTED = "interrupted: the server running this answer stopped";

    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "replicas-it-sse");
        t.setDaemon(true);
        return t;
    });

    static LocalPlatform platform;
    static String replicaA;
    static String replicaB;
    String alice;
    String admin;

    @BeforeAll
    static void startSecondReplica(LocalPlatform started) {
        platform = started;
        // chat + 7 (e2e plan: 18087) is in no PortPlan role, nor the fault endpoints' (simulator + 1, + 9)
        int port = platform.ports().chat() + 7;
        platform.startChatReplica(REPLICA_B, port);
        replicaA = platform.chatUrl();
        replicaB = "http://localhost:" + port;
        String token = Clients.token(platform, "alice");
        for (String replica : List.of(replicaA, replicaB)) {
            for (String model : List.of(FAST_MODEL, LONG_MODEL)) {
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> chat(replica, token)
                        .get("/v1/models/running").then().statusCode(200)
                        .body("models.name", org.hamcrest.Matchers.hasItem(model)));
            }
        }
    }

    @BeforeEach
    void logIn() {
        alice = Clients.token(platform, "alice");
        admin = Clients.token(platform, "admin");
    }

    /** Whatever a test stopped comes back: PostgreSQL first, then both replicas, all answering ready. */
    @AfterEach
    void restore() {
        if (!platform.databaseRunning()) {
            platform.startDatabase();
        }
        for (String name : List.of(LocalPlatform.CHAT, REPLICA_B)) {
            if (!platform.isRunning(name)) {
                platform.restartProcess(name);
            }
        }
        for (String ready : List.of(replicaA, replicaB, platform.proxyUrl(), platform.usageUrl())) {
            await().atMost(Duration.ofSeconds(90)).until(() -> status(ready + "/q/health/ready") == 200);
        }
    }

    @AfterAll
    static void stopSecondReplica() {
        if (platform != null && platform.isRunning(REPLICA_B)) {
            platform.stopProcess(REPLICA_B);
        }
    }

    @Test
    void aTurnStartedOnAIsFollowedLiveOnBFromLastEventIdWithoutGapOrDuplicate() throws Exception {
        String session = session(replicaA, LONG_MODEL, 250);
        Sse onA = Sse.open(postTurn(replicaA, session, "Tell me a story.", null));
        assertEquals(200, onA.status, onA.body());
        await().atMost(Duration.ofSeconds(60)).until(() -> onA.deltas().size() >= 5);
        long after = onA.lastId();

        Sse onB = Sse.open(follow(replicaB, session, onA.turnId, after));
        assertEquals(200, onB.status, onB.body());
        onB.done.get(90, TimeUnit.SECONDS);
        onA.done.get(90, TimeUnit.SECONDS);

        List<Event> fromB = onB.logged();
        assertFalse(fromB.isEmpty(), "B sends the rest of the turn");
        for (int i = 0; i < fromB.size(); i++) {
            assertEquals(after + 1 + i, fromB.get(i).id(), "ids go on from Last-Event-ID, no gap, no duplicate: "
                    + ids(fromB));
        }
        Event end = fromB.get(fromB.size() - 1);
        assertEquals("message_end", end.name(), names(fromB));
        assertEquals("complete", end.json().getString("status"));
        // followed live: B's first delta came while A was still streaming, long before the end
        Event firstDeltaOnB = fromB.stream().filter(e -> e.name().equals("delta")).findFirst().orElseThrow();
        assertTrue(firstDeltaOnB.receivedNanos() < onA.events.get(onA.events.size() - 1).receivedNanos(),
                "B followed the running turn live");

        // the same events in the same order as on A, the replica that runs the turn
        List<Event> restOnA = onA.logged().stream().filter(e -> e.id() > after).toList();
        assertEquals(ids(restOnA), ids(fromB));
        assertEquals(names(restOnA), names(fromB));
        for (int i = 0; i < fromB.size(); i++) {
            assertEquals(restOnA.get(i).json().getMap(""), fromB.get(i).json().getMap(""), "event " + fromB.get(i));
        }
        String shown = onA.logged().stream().filter(e -> e.id() <= after).filter(e -> e.name().equals("delta"))
                .map(e -> e.json().getString("content")).collect(Collectors.joining()) + text(fromB);
        assertEquals(end.json().getString("content"), shown, "what A showed, then B, is the whole answer");
        Map<String, Object> stored = message(replicaB, session, onA.turnId);
        assertEquals("complete", stored.get("status"));
        assertEquals(shown, stored.get("content"));
    }

    @Test
    void aStopThroughBEndsTheTurnRunningOnAAsStoppedAndCancelsTheUpstreamCall() throws Exception {
        String session = session(replicaA, LONG_MODEL, null);
        Sse onA = Sse.open(postTurn(replicaA, session, "Tell me a very long story.", null));
        assertEquals(200, onA.status, onA.body());
        await().atMost(Duration.ofSeconds(60)).until(() -> onA.deltas().size() >= 5);
        double disconnectsBefore = simulatorDisconnects(LONG_MODEL);

        JsonPath stopped = chat(replicaB, alice)
                .post("/v1/chat/sessions/{id}/turns/{turn}/stop", session, onA.turnId)
                .then().statusCode(200)
                .body("status", equalTo("stopped"))
                .body("stop_result", equalTo("stopped"))
                .extract().jsonPath();
        String partial = stopped.getString("content");
        assertFalse(partial.isBlank(), "the partial answer is kept");

        // A's stream ends as stopped, with exactly the text it streamed
        onA.done.get(30, TimeUnit.SECONDS);
        Event end = onA.last();
        assertEquals("message_end", end.name(), names(onA.events));
        assertEquals("stopped", end.json().getString("status"));
        assertEquals(partial, end.json().getString("content"));
        assertEquals(partial, onA.text(), "the stored partial answer is what A streamed");

        // the cancel reached the model server: the simulator counted a client that went away mid-stream
        await().atMost(Duration.ofSeconds(30)).until(() -> simulatorDisconnects(LONG_MODEL) > disconnectsBefore);

        chat(replicaA, alice).get("/v1/chat/sessions/{id}", session).then().statusCode(200)
                .body("messages.size()", equalTo(2))
                .body("messages[1].status", equalTo("stopped"))
                .body("messages[1].content", equalTo(partial));
        // a second stop through B is no silent no-op either: it says the turn had already ended, and how
        chat(replicaB, alice).post("/v1/chat/sessions/{id}/turns/{turn}/stop", session, onA.turnId)
                .then().statusCode(200)
                .body("stop_result", equalTo("already_ended"))
                .body("status", equalTo("stopped"))
                .body("content", equalTo(partial));
    }

    @Test
    void aRegenerateThroughBOfAnAnswerMadeOnAStreamsANewSiblingAnswer() throws Exception {
        String session = session(replicaA, FAST_MODEL, 20);
        Sse first = Sse.open(postTurn(replicaA, session, "Say something short.", null));
        assertEquals(200, first.status, first.body());
        first.done.get(60, TimeUnit.SECONDS);
        assertEquals("complete", first.last().json().getString("status"), names(first.events));

        Sse again = Sse.open(request(replicaB, "/v1/chat/sessions/" + session + "/messages/" + first.turnId
                + "/regenerate").POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(200, again.status, again.body());
        again.done.get(60, TimeUnit.SECONDS);
        Event end = again.last();
        assertEquals("message_end", end.name(), names(again.events));
        assertEquals("complete", end.json().getString("status"));
        assertNotEquals(first.turnId, again.turnId);
        assertEquals(end.json().getString("content"), again.text());

        List<Map<String, Object>> messages = chat(replicaA, alice).get("/v1/chat/sessions/{id}", session)
                .then().statusCode(200).extract().jsonPath().getList("messages");
        assertEquals(3, messages.size(), messages.toString());
        Object user = messages.get(0).get("id");
        assertEquals(List.of(first.turnId, again.turnId), List.of(messages.get(1).get("id"), messages.get(2).get("id")));
        assertEquals(user, messages.get(1).get("parent_id"), "both answers answer the same user message");
        assertEquals(user, messages.get(2).get("parent_id"));
        assertEquals("complete", messages.get(2).get("status"));
        assertEquals(again.text(), messages.get(2).get("content"));
    }

    @Test
    void aTurnOfAKilledReplicaIsFinishedAsInterruptedWithin30sAndTheChatGoesOnThroughB() throws Exception {
        String session = session(replicaA, LONG_MODEL, null);
        Sse onA = Sse.open(postTurn(replicaA, session, "Tell me a very long story.", null));
        assertEquals(200, onA.status, onA.body());
        await().atMost(Duration.ofSeconds(60)).until(() -> onA.deltas().size() >= 5);

        platform.killProcess(LocalPlatform.CHAT);
        // the stream from A breaks off without an end
        await().atMost(Duration.ofSeconds(30)).until(onA.done::isDone);
        assertTrue(onA.events.stream().noneMatch(e -> e.name().equals("message_end")), names(onA.events));

        Map<String, Object> finished = await().atMost(Duration.ofSeconds(30))
                .until(() -> message(replicaB, session, onA.turnId), m -> !"streaming".equals(m.get("status")));
        assertEquals("error", finished.get("status"));
        assertEquals(INTERRUPTED, finished.get("error"));
        String kept = (String) finished.get("content");
        String shown = onA.text();
        assertFalse(kept.isBlank(), "the partial text is kept");
        assertTrue(shown.startsWith(kept) || kept.startsWith(shown), "kept text and what A showed agree: kept "
                + kept.length() + " chars, shown " + shown.length());

        // resuming where A's stream broke off, on B: the rest of the log, the error, and the end
        Sse resumed = Sse.open(follow(replicaB, session, onA.turnId, onA.lastId()));
        assertEquals(200, resumed.status, resumed.body());
        resumed.done.get(30, TimeUnit.SECONDS);
        Event end = resumed.last();
        assertEquals("message_end", end.name(), names(resumed.events));
        assertEquals("error", end.json().getString("status"));
        assertEquals(INTERRUPTED, end.json().getString("error"));
        assertEquals(kept, end.json().getString("content"));
        assertTrue(resumed.named("error").size() == 1, names(resumed.events));

        // the chat goes on through B: a next turn is accepted (the interrupted one no longer holds the chat)
        Sse next = Sse.open(postTurn(replicaB, session, "Go on, briefly.", 10));
        assertEquals(200, next.status, next.body());
        next.done.get(60, TimeUnit.SECONDS);
        assertEquals("message_end", next.last().name(), names(next.events));
        assertEquals("complete", next.last().json().getString("status"));
        chat(replicaB, alice).get("/v1/chat/sessions/{id}", session).then().statusCode(200)
                .body("messages.size()", equalTo(4))
                .body("messages.status", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem("streaming")));

        // the proxy still recorded the usage of what was generated for the interrupted answer
        List<Map<String, Object>> rows = await().atMost(Duration.ofSeconds(60))
                .until(() -> Clients.usage(platform, admin).queryParam("correlation_id", session)
                        .get("/admin/usage").then().statusCode(200)
                        .extract().jsonPath().<Map<String, Object>> getList("data"), found -> found.size() >= 2);
        assertTrue(rows.stream().anyMatch(r -> ((Number) r.get("completion_tokens")).intValue() >= 5), rows.toString());
    }

    /** Turns running at once during the rolling restart: one chat each (a chat runs one turn at a time). */
    static final int CONCURRENT_TURNS = 20;

    @Test
    void aRollingRestartOfBothReplicasDuring20RunningTurnsLosesNoneAndLeavesNoneStreaming() throws Exception {
        List<String> sessions = new ArrayList<>();
        for (int c = 0; c < CONCURRENT_TURNS; c++) {
            sessions.add(session(c % 2 == 0 ? replicaA : replicaB, FAST_MODEL, null));
        }
        Map<String, List<TurnResult>> results = new java.util.concurrent.ConcurrentHashMap<>();
        List<AtomicReference<Sse>> inFlight = new ArrayList<>();
        List<AtomicReference<String>> inFlightOn = new ArrayList<>();
        AtomicBoolean restartDone = new AtomicBoolean();
        List<CompletableFuture<Void>> drivers = new ArrayList<>();
        for (int c = 0; c < CONCURRENT_TURNS; c++) {
            String session = sessions.get(c);
            List<TurnResult> own = new CopyOnWriteArrayList<>();
            results.put(session, own);
            AtomicReference<Sse> running = new AtomicReference<>();
            AtomicReference<String> runningOn = new AtomicReference<>();
            inFlight.add(running);
            inFlightOn.add(runningOn);
            int offset = c;
            // clients behind a load balancer: each chat's turns alternate between the replicas; one that refuses
            // (down, shutting down) is retried on the other, and a stream that breaks off is resumed on either
            drivers.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 60 && (own.isEmpty() || !restartDone.get()); i++) {
                    own.add(runTurn(session, i, (i + offset) % 2 == 0 ? replicaA : replicaB, running, runningOn));
                }
            }, READERS));
        }

        for (String[] replica : List.of(new String[] { LocalPlatform.CHAT, replicaA },
                new String[] { REPLICA_B, replicaB })) {
            // SIGTERM while most of the 20 turns run, several of them on that replica
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                int runningThere = 0;
                int runningAnywhere = 0;
                for (int c = 0; c < CONCURRENT_TURNS; c++) {
                    Sse running = inFlight.get(c).get();
                    if (running != null && running.deltas().size() >= 2 && !running.done.isDone()) {
                        runningAnywhere++;
                        if (replica[1].equals(inFlightOn.get(c).get())) {
                            runningThere++;
                        }
                    }
                }
                return runningThere >= 3 && runningAnywhere >= CONCURRENT_TURNS / 2;
            });
            CompletableFuture<Integer> exited = platform.terminateProcess(replica[0]);
            await().atMost(Duration.ofSeconds(90)).until(exited::isDone);
            platform.restartProcess(replica[0]);
        }
        restartDone.set(true);
        CompletableFuture.allOf(drivers.toArray(CompletableFuture[]::new)).get(4, TimeUnit.MINUTES);

        int total = results.values().stream().mapToInt(List::size).sum();
        assertTrue(total >= 2 * CONCURRENT_TURNS, "turns: " + total);
        for (String session : sessions) {
            List<Map<String, Object>> messages = chat(replicaB, alice).get("/v1/chat/sessions/{id}", session)
                    .then().statusCode(200).extract().jsonPath().getList("messages");
            List<Map<String, Object>> answers = messages.stream().filter(m -> "assistant".equals(m.get("role")))
                    .toList();
            assertEquals(results.get(session).size(), answers.size(),
                    "one stored answer per turn, none lost, none twice, chat " + session);
            for (TurnResult result : results.get(session)) {
                Map<String, Object> stored = answers.stream().filter(m -> result.turnId().equals(m.get("id")))
                        .findFirst().orElseThrow(() -> new AssertionError("turn " + result + " not stored"));
                assertNotEquals("streaming", stored.get("status"), "turn " + result.turnId() + " left streaming");
                assertEquals(result.status(), stored.get("status"), "status shown = stored, turn " + result.turnId());
                assertEquals(result.content(), stored.get("content"), "content shown = stored, turn " + result.turnId());
                assertEquals(result.content(), result.shown(), "deltas shown = message_end, turn " + result.turnId());
                assertTrue(List.of("complete", "stopped", "error").contains(result.status()), result.toString());
                if (!"complete".equals(result.status())) {
                    assertNotNull(stored.get("error"), "a turn not complete says why: " + stored);
                }
            }
        }
    }

    @Test
    void postgresStoppedAcrossTheEndOfATurnLeavesStoredExactlyWhatTheClientWasShown() throws Exception {
        // 500 tokens at 20 ms: the turn ends about 10 s after PostgreSQL stops
        String session = session(replicaA, LONG_MODEL, 500);
        Sse onA = Sse.open(postTurn(replicaA, session, "Tell me a story.", null));
        assertEquals(200, onA.status, onA.body());
        await().atMost(Duration.ofSeconds(60)).until(() -> onA.deltas().size() >= 5);

        platform.stopDatabase();
        try {
            // session routes answer 503 (retryable) during the outage, on both replicas, never 500
            for (String replica : List.of(replicaA, replicaB)) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> chat(replica, alice)
                        .get("/v1/chat/sessions/{id}", session).then().statusCode(503)
                        .header("Retry-After", org.hamcrest.Matchers.notNullValue())
                        .body(containsString("database_unavailable")));
            }
            // the turn ended while the database is away: the client is told it is being saved, not that it is
            await().atMost(Duration.ofSeconds(60)).until(() -> !onA.named("saving").isEmpty() || onA.done.isDone());
            assertTrue(onA.named("message_end").isEmpty(), "message_end while nothing could be stored: "
                    + names(onA.events));
            assertFalse(onA.named("saving").isEmpty(), names(onA.events));
        } finally {
            platform.startDatabase();
        }

        onA.done.get(90, TimeUnit.SECONDS);
        Event end = onA.last();
        assertEquals("message_end", end.name(), names(onA.events));
        assertEquals(onA.named("saving").get(0).json().getString("status"), end.json().getString("status"));
        await().atMost(Duration.ofSeconds(60))
                .until(() -> chat(replicaB, alice).get("/v1/chat/sessions/{id}", session).statusCode() == 200);
        Map<String, Object> stored = message(replicaB, session, onA.turnId);
        assertEquals(end.json().getString("status"), stored.get("status"));
        assertEquals(end.json().getString("content"), stored.get("content"));
        assertEquals(onA.text(), stored.get("content"), "the stored answer is what was shown");
        if (!"complete".equals(end.json().getString("status"))) {
            assertNotNull(stored.get("error"), "not complete: the turn says why");
        }
    }

    // --- the client -------------------------------------------------------------------------------------------

    /** What a client finally got for one turn of the rolling restart. */
    record TurnResult(String turnId, String status, String content, String shown, List<String> replicas) {
    }

    /**
     * One turn as a client behind a load balancer runs it: POST on {@code preferred}, on the other replica if that
     * one refuses; then follow it to its {@code message_end}, resuming with {@code Last-Event-ID} on either replica
     * when a stream breaks off.
     */
    private TurnResult runTurn(String session, int i, String preferred, AtomicReference<Sse> inFlight,
            AtomicReference<String> inFlightOn) {
        List<String> used = new ArrayList<>();
        AtomicReference<String> target = new AtomicReference<>(preferred);
        Sse started = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            String replica = target.get();
            target.set(other(replica));
            try {
                Sse sse = Sse.open(postTurn(replica, session, "Turn " + i + ": say something.", 40));
                if (sse.status == 200) {
                    used.add(replica);
                    inFlightOn.set(replica);
                    inFlight.set(sse);
                    return sse;
                }
                assertTrue(sse.status == 503 || sse.status == 409, "turn " + i + " on " + replica + ": " + sse.status
                        + " " + sse.body());
                return null;
            } catch (IOException e) {
                return null;
            }
        }, java.util.Objects::nonNull);
        String turnId = started.turnId;
        List<Event> events = new ArrayList<>();
        Sse current = started;
        while (true) {
            try {
                current.done.get(90, TimeUnit.SECONDS);
            } catch (Exception e) {
                // broken off: resumed below
            }
            events.addAll(current.logged());
            if (!events.isEmpty() && events.get(events.size() - 1).name().equals("message_end")) {
                break;
            }
            long lastId = events.isEmpty() ? 0 : events.get(events.size() - 1).id();
            String from = other(used.get(used.size() - 1));
            target.set(from);
            current = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
                String replica = target.get();
                target.set(other(replica));
                try {
                    Sse sse = Sse.open(follow(replica, session, turnId, lastId));
                    if (sse.status == 200) {
                        used.add(replica);
                        return sse;
                    }
                    return null;
                } catch (IOException e) {
                    return null;
                }
            }, java.util.Objects::nonNull);
        }
        for (int k = 1; k < events.size(); k++) {
            assertEquals(events.get(k - 1).id() + 1, events.get(k).id(), "turn " + i + " events in sequence: "
                    + ids(events));
        }
        JsonPath end = events.get(events.size() - 1).json();
        return new TurnResult(turnId, end.getString("status"), end.getString("content"), text(events), used);
    }

    private static String other(String replica) {
        return replica.equals(replicaA) ? replicaB : replicaA;
    }

    private String session(String replica, String model, Integer maxTokens) {
        Map<String, Object> body = maxTokens == null ? Map.of("model", model)
                : Map.of("model", model, "params", Map.of("max_tokens", maxTokens));
        return chat(replica, alice).body(body).post("/v1/chat/sessions").then().statusCode(201).extract().path("id");
    }

    private HttpRequest postTurn(String replica, String session, String content, Integer maxTokens) {
        String body = "{\"content\":\"" + content + "\""
                + (maxTokens == null ? "" : ",\"overrides\":{\"max_tokens\":" + maxTokens + "}") + "}";
        return request(replica, "/v1/chat/sessions/" + session + "/turns")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private HttpRequest follow(String replica, String session, String turnId, long lastEventId) {
        return request(replica, "/v1/chat/sessions/" + session + "/turns/" + turnId + "/events")
                .header("Last-Event-ID", Long.toString(lastEventId)).GET().build();
    }

    private HttpRequest.Builder request(String replica, String path) {
        return HttpRequest.newBuilder(URI.create(replica + path))
                .timeout(Duration.ofMinutes(3))
                .header("Authorization", "Bearer " + alice)
                .header("Accept", "text/event-stream");
    }

    /** One message of the session as stored, read through {@code replica}. */
    private Map<String, Object> message(String replica, String session, String messageId) {
        List<Map<String, Object>> messages = chat(replica, alice).get("/v1/chat/sessions/{id}", session)
                .then().statusCode(200).extract().jsonPath().getList("messages");
        return messages.stream().filter(m -> messageId.equals(m.get("id"))).findFirst()
                .orElseThrow(() -> new AssertionError("no message " + messageId + " in " + messages));
    }

    static RequestSpecification chat(String replica, String token) {
        return given().baseUri(replica).auth().oauth2(token).contentType(ContentType.JSON);
    }

    /** The simulator's own count of clients that closed a stream before its end, for one model. */
    private static double simulatorDisconnects(String model) {
        String metrics = RestAssured.given().get(platform.simulatorUrl() + "/metrics").then().statusCode(200)
                .extract().asString();
        return metrics.lines()
                .filter(line -> line.startsWith("simulator_client_disconnects_total") && line.contains(model))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static String text(List<Event> events) {
        return events.stream().filter(e -> e.name().equals("delta")).map(e -> e.json().getString("content"))
                .collect(Collectors.joining());
    }

    static List<Long> ids(List<Event> events) {
        return events.stream().map(Event::id).toList();
    }

    static String names(List<Event> events) {
        return events.stream().map(Event::name).toList().toString();
    }

    /** One server-sent event with its {@code id:} (null for {@code saving}, which is not in the turn's log). */
    record Event(Long id, String name, String data, long receivedNanos) {
        JsonPath json() {
            return JsonPath.from(data);
        }
    }

    /** A turn's SSE stream read in the background: events as they arrive, {@link #done} at its end or break. */
    static final class Sse {
        final int status;
        final String turnId;
        final List<Event> events = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private final StringBuilder errorBody = new StringBuilder();

        private Sse(int status, String turnId) {
            this.status = status;
            this.turnId = turnId;
        }

        /** Sends the request; throws {@link IOException} when the replica does not answer (down). */
        static Sse open(HttpRequest request) throws IOException {
            HttpResponse<InputStream> response;
            try {
                response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            Sse sse = new Sse(response.statusCode(), response.headers().firstValue("X-Turn-Id").orElse(null));
            if (sse.status != 200) {
                try (InputStream body = response.body()) {
                    sse.errorBody.append(new String(body.readAllBytes(), StandardCharsets.UTF_8));
                }
                sse.done.complete(null);
                return sse;
            }
            READERS.execute(() -> sse.read(response.body()));
            return sse;
        }

        private void read(InputStream body) {
            Long id = null;
            String name = null;
            StringBuilder data = new StringBuilder();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.isEmpty()) {
                        if (name != null || data.length() > 0) {
                            events.add(new Event(id, name == null ? "message" : name, data.toString(),
                                    System.nanoTime()));
                        }
                        id = null;
                        name = null;
                        data.setLength(0);
                    } else if (line.startsWith("id:")) {
                        id = Long.parseLong(line.substring(3).trim());
                    } else if (line.startsWith("event:")) {
                        name = line.substring(6).trim();
                    } else if (line.startsWith("data:")) {
                        if (data.length() > 0) {
                            data.append('\n');
                        }
                        data.append(line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5));
                    }
                }
                done.complete(null);
            } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
            }
        }

        String body() {
            return status + " " + errorBody + " " + events;
        }

        List<Event> logged() {
            return events.stream().filter(e -> e.id() != null).toList();
        }

        List<Event> named(String name) {
            return events.stream().filter(e -> e.name().equals(name)).toList();
        }

        List<Event> deltas() {
            return named("delta");
        }

        String text() {
            return ChatReplicasIT.text(events);
        }

        long lastId() {
            List<Event> logged = logged();
            return logged.isEmpty() ? 0 : logged.get(logged.size() - 1).id();
        }

        Event last() {
            Optional<Event> last = events.isEmpty() ? Optional.empty() : Optional.of(events.get(events.size() - 1));
            return last.orElseThrow(() -> new AssertionError("no events: " + body()));
        }
    }
}
