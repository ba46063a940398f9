package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/**
 * The turn envelope (docs/architecture.md "Turn envelope and attachments"): endpoint modes, correlation id, metadata,
 * overrides.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class TurnEnvelopeTest {

    static final Map<String, String> PATHS = Map.of("chat_completions", "/v1/chat/completions", "responses",
            "/v1/responses", "messages", "/v1/messages");

    @ParameterizedTest
    @ValueSource(strings = { "chat_completions", "responses", "messages" })
    void everyEndpointModeStreamsTheSameTurnEventsWithTheProxysServerMetrics(String mode) {
        String id = Api.createSession(ALICE, "sim-model");
        List<SseEvents.Event> events = Api.turnJson(ALICE, id,
                "{\"content\":\"hello\",\"endpoint_mode\":\"" + mode + "\"}");
        assertEquals(List.of("message_start", "delta", "delta", "delta", "delta", "delta", "metrics", "message_end"),
                SseEvents.names(events));
        String text = events.stream().filter(e -> "delta".equals(e.name())).map(e -> e.json().getString("content"))
                .collect(Collectors.joining());
        assertEquals("Hello from the simulator.", text);
        JsonPath end = events.get(7).json();
        assertEquals("complete", end.getString("status"));
        assertEquals("Hello from the simulator.", end.getString("content"));
        assertEquals(81.5f, end.getFloat("metrics.ttft_ms"));
        assertEquals(930.2f, end.getFloat("metrics.latency_ms"));
        assertEquals(47.1f, end.getFloat("metrics.tokens_per_sec"));
        assertEquals(12, end.getInt("metrics.prompt_tokens"));
        assertEquals(5, end.getInt("metrics.completion_tokens"));
        assertEquals(17, end.getInt("usage.total_tokens"));
        assertEquals(0.0815f, end.getFloat("usage.time_to_first_token"));

        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals(PATHS.get(mode), call.getString("path"));
        assertEquals("Bearer " + ALICE, call.getString("headers.authorization"));
        assertEquals(true, call.getBoolean("body.stream"));

        JsonPath s = Api.session(ALICE, id);
        assertEquals("complete", s.getString("messages[1].status"));
        assertEquals(81.5f, s.getFloat("messages[1].metrics.ttft_ms"));
        assertEquals(5, s.getInt("messages[1].metrics.completion_tokens"));
        if ("chat_completions".equals(mode)) {
            assertNull(s.get("messages[0].envelope"), "all defaults: no envelope");
        } else {
            assertEquals(mode, s.getString("messages[0].envelope.endpoint_mode"));
        }
        assertNull(s.get("messages[1].envelope"));
    }

    @Test
    void responsesModeSendsTheHistoryAsInputItemsWithInstructionsAndMaxOutputTokens() {
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).body("{\"params\":{\"temperature\":0.2,\"top_p\":0.9,\"max_tokens\":64,\"system_prompt\":\"Be brief.\"}}")
                .patch("/v1/chat/sessions/" + id).then().statusCode(200);
        Api.turnJson(ALICE, id, "{\"content\":\"one\",\"endpoint_mode\":\"responses\"}");
        Api.turnJson(ALICE, id, "{\"content\":\"two\",\"endpoint_mode\":\"responses\"}");
        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals("/v1/responses", call.getString("path"));
        assertEquals("Be brief.", call.getString("body.instructions"));
        assertEquals(List.of("user", "assistant", "user"), call.getList("body.input.role"));
        assertEquals(List.of("message", "message", "message"), call.getList("body.input.type"));
        assertEquals(List.of("one", "Hello from the simulator.", "two"), call.getList("body.input.content"));
        assertEquals(64, call.getInt("body.max_output_tokens"));
        assertEquals(0.2f, call.getFloat("body.temperature"));
        assertEquals(0.9f, call.getFloat("body.top_p"));
        assertEquals("playground", call.getString("body.metadata.source"));
        assertNull(call.get("body.messages"));
        assertNull(call.get("body.max_tokens"));
        assertNull(call.get("body.stream_options"));
    }

    @Test
    void messagesModeSendsSystemMessagesAndTheRequiredMaxTokens() {
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).body("{\"params\":{\"system_prompt\":\"Be a pirate.\"}}").patch("/v1/chat/sessions/" + id)
                .then().statusCode(200);
        Api.turnJson(ALICE, id, "{\"content\":\"ahoy\",\"endpoint_mode\":\"messages\"}");
        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals("/v1/messages", call.getString("path"));
        assertEquals("Be a pirate.", call.getString("body.system"));
        assertEquals(List.of("user"), call.getList("body.messages.role"));
        assertEquals("ahoy", call.getString("body.messages[0].content"));
        assertEquals(512, call.getInt("body.max_tokens"), "the model's max_tokens_default when the session has none");
        assertEquals("2023-06-01", call.getString("headers.anthropic-version"));

        as(ALICE).body("{\"params\":{\"max_tokens\":77}}").patch("/v1/chat/sessions/" + id).then().statusCode(200);
        Api.turnJson(ALICE, id, "{\"content\":\"again\",\"endpoint_mode\":\"messages\"}");
        call = Api.lastProxyRequestFor(id);
        assertEquals(77, call.getInt("body.max_tokens"), "the session's max tokens");
        assertEquals(List.of("user", "assistant", "user"), call.getList("body.messages.role"));
    }

    @ParameterizedTest
    @ValueSource(strings = { "chat_completions", "responses", "messages" })
    void correlationIdMetadataAndOverridesAreForwardedAndStoredWithTheUserMessage(String mode) {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, id, "{\"content\":\"tagged\",\"endpoint_mode\":\"" + mode + "\",\"correlation_id\":\"run-42\","
                + "\"metadata\":{\"team\":\"search\",\"exp\":\"a/b\"},\"overrides\":{\"max_tokens\":5,\"stop\":[\"###\"]}}");
        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals(PATHS.get(mode), call.getString("path"));
        assertEquals("run-42", call.getString("headers.x-correlation-id"));
        assertEquals("search", call.getString("body.metadata.team"));
        assertEquals("a/b", call.getString("body.metadata.exp"));
        assertEquals("playground", call.getString("body.metadata.source"));
        assertEquals("alice", call.getString("body.metadata.user"));
        JsonPath overrides = JsonPath.from(call.getString("headers.x-parley-overrides"));
        assertEquals(5, overrides.getInt("max_tokens"));
        assertEquals(List.of("###"), overrides.getList("stop"));
        assertNull(call.get("body.stop"), "overrides travel in the header, the proxy merges them");

        JsonPath s = Api.session(ALICE, id);
        assertEquals(mode, s.getString("messages[0].envelope.endpoint_mode"));
        assertEquals("run-42", s.getString("messages[0].envelope.correlation_id"));
        assertEquals("search", s.getString("messages[0].envelope.metadata.team"));
        assertEquals(5, s.getInt("messages[0].envelope.overrides.max_tokens"));
    }

    @Test
    void withoutACorrelationIdTheSessionIdIsSentAndNoOverridesHeader() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, id, "{\"content\":\"plain\",\"endpoint_mode\":\"responses\"}");
        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals(id, call.getString("headers.x-correlation-id"));
        assertNull(call.get("headers.x-parley-overrides"));
    }

    @Test
    void badEnvelopeValuesAnswer400NamingTheFieldAndStoreNothing() {
        String id = Api.createSession(ALICE, "sim-model");
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("\"endpoint_mode\":\"embeddings\"", "endpoint_mode");
        cases.put("\"correlation_id\":\"has space\"", "correlation_id");
        cases.put("\"correlation_id\":\"\"", "correlation_id");
        cases.put("\"correlation_id\":\"" + "x".repeat(129) + "\"", "correlation_id");
        cases.put("\"metadata\":{\"source\":\"me\"}", "metadata");
        cases.put("\"metadata\":{\"n\":1}", "metadata");
        cases.put("\"metadata\":[\"a\"]", "metadata");
        cases.put("\"metadata\":{\"" + "k".repeat(65) + "\":\"v\"}", "metadata");
        cases.put("\"metadata\":{\"k\":\"" + "v".repeat(513) + "\"}", "metadata");
        cases.put("\"metadata\":{" + java.util.stream.IntStream.range(0, 17).mapToObj(i -> "\"k" + i + "\":\"v\"")
                .collect(Collectors.joining(",")) + "}", "metadata");
        cases.put("\"overrides\":[1]", "overrides");
        cases.put("\"overrides\":\"{}\"", "overrides");
        for (String key : List.of("model", "messages", "prompt", "input", "stream", "stream_options")) {
            cases.put("\"overrides\":{\"" + key + "\":null}", "overrides");
        }
        cases.put("\"overrides\":{\"logit_bias\":\"" + "x".repeat(17 * 1024) + "\"}", "overrides");
        cases.forEach((field, param) -> as(ALICE).accept("text/event-stream")
                .body("{\"content\":\"nope\"," + field + "}").post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(400).body("error.param", equalTo(param)).body("error.type",
                        equalTo("invalid_request_error")));
        assertTrue(Api.session(ALICE, id).getList("messages").isEmpty(), "a refused turn stores nothing");
        assertTrue(Api.proxyRequestsFor(id).isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = { "responses", "messages" })
    void stopCancelsTheUpstreamAndKeepsThePartialAnswer(String mode) throws Exception {
        String id = Api.createSession(ALICE, "hang-model");
        int cancelsBefore = Api.proxyCancels();
        try (LiveTurn live = LiveTurn.post(ALICE, id, "{\"content\":\"never ending\",\"endpoint_mode\":\"" + mode + "\"}")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> live.names().stream().filter("delta"::equals).count() == 2);
            as(ALICE).post("/v1/chat/sessions/" + id + "/turns/" + live.turnId() + "/stop")
                    .then().statusCode(200)
                    .body("status", equalTo("stopped"))
                    .body("content", equalTo("thinking hard"));
            await().atMost(Duration.ofSeconds(10)).until(live::finished);
            SseEvents.Event end = live.events().get(live.events().size() - 1);
            assertEquals("message_end", end.name());
            assertEquals("stopped", end.json().getString("status"));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> Api.proxyCancels() > cancelsBefore);
        JsonPath s = Api.session(ALICE, id);
        assertEquals("stopped", s.getString("messages[1].status"));
        assertEquals("thinking hard", s.getString("messages[1].content"));
    }

    @ParameterizedTest
    @ValueSource(strings = { "responses", "messages" })
    void anUpstreamErrorMidStreamKeepsThePartialAnswerAsError(String mode) {
        String id = Api.createSession(ALICE, "fail-model");
        List<SseEvents.Event> events = Api.turnJson(ALICE, id,
                "{\"content\":\"break\",\"endpoint_mode\":\"" + mode + "\"}");
        assertEquals(List.of("message_start", "delta", "delta", "metrics", "error", "message_end"),
                SseEvents.names(events));
        assertEquals("upstream pod failed mid-stream", events.get(4).json().getString("message"));
        JsonPath s = Api.session(ALICE, id);
        assertEquals("error", s.getString("messages[1].status"));
        assertEquals("partial answer", s.getString("messages[1].content"));
        assertEquals("upstream pod failed mid-stream", s.getString("messages[1].error"));
    }

    @ParameterizedTest
    @ValueSource(strings = { "responses", "messages" })
    void aRefusalBeforeTheFirstByteIsStoredAsError(String mode) {
        String id = Api.createSession(ALICE, "down-model");
        List<SseEvents.Event> events = Api.turnJson(ALICE, id,
                "{\"content\":\"anyone\",\"endpoint_mode\":\"" + mode + "\"}");
        assertEquals(List.of("message_start", "metrics", "error", "message_end"), SseEvents.names(events));
        assertTrue(Api.session(ALICE, id).getString("messages[1].error").contains("not ready"));
    }

    @Test
    void resumingAMessagesModeTurnWithLastEventIdYieldsTheAnswerOnce() throws Exception {
        String id = Api.createSession(ALICE, "slow-model");
        String turnId;
        List<SseEvents.Event> before;
        try (LiveTurn live = LiveTurn.post(ALICE, id, "{\"content\":\"resume me\",\"endpoint_mode\":\"messages\"}")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> live.names().stream().filter("delta"::equals).count() >= 2);
            turnId = live.turnId();
            before = List.copyOf(live.events());
        }
        String lastId = before.get(before.size() - 1).id();
        try (LiveTurn resumed = LiveTurn.get(ALICE, "/v1/chat/sessions/" + id + "/turns/" + turnId + "/events",
                lastId)) {
            await().atMost(Duration.ofSeconds(15)).until(resumed::finished);
            String text = java.util.stream.Stream.concat(before.stream(), resumed.events().stream())
                    .filter(e -> "delta".equals(e.name())).map(e -> e.json().getString("content"))
                    .collect(Collectors.joining());
            assertEquals(TurnLifecycleTest.SLOW_ANSWER, text);
        }
        assertEquals("complete", Api.session(ALICE, id).getString("messages[1].status"));
    }

    @Test
    void regenerateReusesTheEnvelopeOfTheMessageItAnswers() {
        String id = Api.createSession(ALICE, "sim-model");
        List<SseEvents.Event> first = Api.turnJson(ALICE, id, "{\"content\":\"again\",\"endpoint_mode\":\"messages\","
                + "\"correlation_id\":\"regen-1\",\"metadata\":{\"team\":\"qa\"},\"overrides\":{\"top_k\":3}}");
        String answer = first.get(0).json().getString("id");
        as(ALICE).accept("text/event-stream").post("/v1/chat/sessions/" + id + "/messages/" + answer + "/regenerate")
                .then().statusCode(200);
        List<JsonPath> calls = Api.proxyRequestsFor(id);
        assertEquals(2, calls.size());
        JsonPath again = calls.get(1);
        assertEquals("/v1/messages", again.getString("path"));
        assertEquals("regen-1", again.getString("headers.x-correlation-id"));
        assertEquals("qa", again.getString("body.metadata.team"));
        assertEquals(3, JsonPath.from(again.getString("headers.x-parley-overrides")).getInt("top_k"));
        assertEquals(List.of("again"), again.getList("body.messages.content"));
    }

    @Test
    void editAndResendInResponsesModeSendsOnlyTheNewBranchWithTheNewEnvelope() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, id, "{\"content\":\"original\",\"endpoint_mode\":\"responses\"}");
        Api.turnJson(ALICE, id, "{\"content\":\"follow-up\",\"endpoint_mode\":\"responses\"}");
        String firstAnswer = Api.session(ALICE, id).getString("messages[1].id");
        Api.turnJson(ALICE, id, "{\"content\":\"edited\",\"parent_id\":\"" + firstAnswer + "\","
                + "\"endpoint_mode\":\"messages\",\"correlation_id\":\"edit-1\"}");
        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals("/v1/messages", call.getString("path"));
        assertEquals("edit-1", call.getString("headers.x-correlation-id"));
        assertEquals(List.of("original", "Hello from the simulator.", "edited"), call.getList("body.messages.content"));
        JsonPath s = Api.session(ALICE, id);
        assertEquals(6, s.getList("messages").size());
        assertEquals("responses", s.getString("messages[2].envelope.endpoint_mode"));
        assertEquals("messages", s.getString("messages[4].envelope.endpoint_mode"));
    }

    @Test
    void theNonStreamingFallbackTakesTheEnvelopeToo() {
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).accept("application/json").body("{\"content\":\"x\",\"endpoint_mode\":\"nope\"}")
                .post("/v1/chat/sessions/" + id + "/turns").then().statusCode(400)
                .body("error.param", equalTo("endpoint_mode"));
        as(ALICE).accept("application/json").body("{\"content\":\"x\",\"endpoint_mode\":\"responses\"}")
                .post("/v1/chat/sessions/" + id + "/turns").then().statusCode(200)
                .body("content", equalTo("Hello from the simulator.")).body("metrics.ttft_ms", equalTo(81.5f));
        assertFalse(Api.proxyRequestsFor(id).isEmpty());
    }
}
