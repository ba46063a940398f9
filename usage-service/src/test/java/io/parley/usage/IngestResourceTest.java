package io.parley.usage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
class IngestResourceTest {

    @Test
    void sameBatchTwiceStoresEachEventOnce() {
        String user = "replay-user";
        Instant now = Instant.now();
        List<Map<String, Object>> batch = List.of(Events.event(user, "m1", now), Events.event(user, "m1", now),
                Events.event(user, "m1", now));

        Events.post(batch).statusCode(200)
                .body("accepted", equalTo(3)).body("duplicates", equalTo(0)).body("rejected", empty());
        Events.post(batch).statusCode(200)
                .body("accepted", equalTo(0)).body("duplicates", equalTo(3)).body("rejected", empty());

        given().auth().oauth2(Events.ADMIN).queryParam("user", user).get("/admin/usage").then()
                .statusCode(200).body("data", hasSize(3));
    }

    @Test
    void repeatedRequestIdInsideOneBatchCountsOnce() {
        Map<String, Object> e = Events.event("dup-in-batch", "m1", Instant.now());
        Events.post(List.of(e, e)).statusCode(200).body("accepted", equalTo(1)).body("duplicates", equalTo(1));
    }

    @Test
    void mixedBatchKeepsGoodEventsAndRejectsBadOnesByIndex() {
        String user = "mixed-user";
        Instant now = Instant.now();
        List<Map<String, Object>> batch = new ArrayList<>();
        batch.add(Events.event(user, "m1", now));
        batch.add(Events.with(Events.event(user, "m1", now), "request_id", ""));
        batch.add(Events.event(user, "m1", now));
        batch.add(Events.with(Events.event(user, "m1", now), "status", "great"));
        batch.add(Events.with(Events.event(user, "m1", now), "timestamp", "yesterday"));
        batch.add(Events.with(Events.event(user, "m1", now), "prompt_tokens", -1));
        batch.add(Events.with(Events.event(user, "m1", now), "model", null));

        Events.post(batch).statusCode(200)
                .body("accepted", equalTo(2))
                .body("duplicates", equalTo(0))
                .body("rejected.index", contains(1, 3, 4, 5, 6))
                .body("rejected[0].reason", containsString("request_id"))
                .body("rejected[1].reason", containsString("status"))
                .body("rejected[2].reason", containsString("timestamp"))
                .body("rejected[3].reason", containsString("prompt_tokens"))
                .body("rejected[4].reason", containsString("model"));

        given().auth().oauth2(Events.ADMIN).queryParam("user", user).get("/admin/usage").then()
                .statusCode(200).body("data", hasSize(2));
    }

    /**
     * Issue 15 "poison usage": an event with U+0000 (here in its metadata and in its model name) answered 500 for the
     * whole batch and the good events were dropped with it. Now only that event is rejected, by index, naming where.
     */
    @Test
    void aNulInOneEventRejectsThatEventAloneAndTheBatchIsStored() {
        String user = "nul-user";
        Instant now = Instant.now();
        List<Map<String, Object>> batch = new ArrayList<>();
        batch.add(Events.event(user, "m1", now));
        batch.add(Events.with(Events.event(user, "m1", now), "metadata", Map.of("note", "bad\u0000value")));
        batch.add(Events.with(Events.event(user, "m1", now), "model", "m\u0000"));
        batch.add(Events.event(user, "m1", now));

        Events.post(batch).statusCode(200)
                .body("accepted", equalTo(2))
                .body("rejected.index", contains(1, 2))
                .body("rejected[0].reason", containsString("metadata.note"))
                .body("rejected[0].reason", containsString("NUL"))
                .body("rejected[1].reason", containsString("model"));

        given().auth().oauth2(Events.ADMIN).queryParam("user", user).get("/admin/usage").then()
                .statusCode(200).body("data", hasSize(2));
    }

    /**
     * Issue 15: overlong and invalid UTF-8 was accepted (Jackson reads {@code C1 81} as "A") or failed the whole batch.
     * Each event holding such bytes (the forms the issue names) is rejected alone, naming the field; the good events of
     * the batch are stored as sent.
     */
    @Test
    void anEventThatIsNotStrictUtf8IsRejectedAloneAndTheOthersAreStored() throws Exception {
        String user = "utf8-user";
        Instant now = Instant.now();
        int[][] malformed = { { 0xC0, 0xAF }, { 0xE0, 0x80, 0xAF }, { 0xC1, 0x81 }, { 0xED, 0xA0, 0x80 },
                { 0xF8, 0x88, 0x80, 0x80, 0x80 }, { 0xFF } };
        List<Map<String, Object>> batch = new ArrayList<>();
        batch.add(Events.event(user, "m-é€𝄞", now));
        for (int i = 0; i < malformed.length; i++) {
            batch.add(i % 2 == 0 ? Events.with(Events.event(user, "m1", now), "model", "m-BAD" + i)
                    : Events.with(Events.event(user, "m1", now), "metadata", Map.of("note", "BAD" + i)));
        }
        batch.add(Events.event(user, "m-é€𝄞", now));
        byte[] body = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(Map.of("events", batch));
        for (int i = 0; i < malformed.length; i++) {
            body = replace(body, "BAD" + i, malformed[i]);
        }

        given().auth().oauth2(Events.WRITER).contentType(ContentType.JSON).body(body).post("/v1/usage/events").then()
                .statusCode(200)
                .body("accepted", equalTo(2))
                .body("rejected.index", contains(1, 2, 3, 4, 5, 6))
                .body("rejected[0].reason", startsWith("model is not valid UTF-8"))
                .body("rejected[1].reason", startsWith("metadata.note is not valid UTF-8"));
        given().auth().oauth2(Events.ADMIN).queryParam("user", user).get("/admin/usage").then()
                .statusCode(200).body("data", hasSize(2)).body("data.model", everyItem(equalTo("m-é€𝄞")));
    }

    /** Bytes that are not UTF-8 outside every event answer 400 {@code invalid_text} naming where, and store nothing. */
    @Test
    void bytesThatAreNotUtf8OutsideTheEventsFailTheBody() {
        byte[] body = replace("{\"eventsBAD\":1,\"events\":[]}".getBytes(java.nio.charset.StandardCharsets.UTF_8), "BAD",
                new int[] { 0xC0, 0xBC });
        given().auth().oauth2(Events.WRITER).contentType(ContentType.JSON).body(body).post("/v1/usage/events").then()
                .statusCode(400)
                .body("error.code", equalTo("invalid_text"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", startsWith("events"));
    }

    /** {@code in} with the bytes {@code with} in place of each {@code marker}. */
    private static byte[] replace(byte[] in, String marker, int[] with) {
        byte[] m = marker.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < in.length; i++) {
            if (i + m.length <= in.length && java.util.Arrays.equals(in, i, i + m.length, m, 0, m.length)) {
                for (int b : with) {
                    out.write(b);
                }
                i += m.length - 1;
            } else {
                out.write(in[i]);
            }
        }
        return out.toByteArray();
    }

    @Test
    void storedEventKeepsEveryFieldOfTheContract() {
        Map<String, Object> e = Events.event("fields-user", "m-fields", Instant.parse("2026-11-22T06:30:00.123Z"));
        Events.store(List.of(e));

        given().auth().oauth2(Events.ADMIN).queryParam("correlation_id", e.get("correlation_id")).get("/admin/usage")
                .then().statusCode(200)
                .body("data", hasSize(1))
                .body("data[0].request_id", equalTo(e.get("request_id")))
                .body("data[0].timestamp", equalTo("2026-11-22T06:30:00.123Z"))
                .body("data[0].received_at", notNullValue())
                .body("data[0].user_id", equalTo("fields-user"))
                .body("data[0].model", equalTo("m-fields"))
                .body("data[0].engine_type", equalTo("vllm"))
                .body("data[0].deployment", equalTo("local-simulator"))
                .body("data[0].endpoint_kind", equalTo("chat_completions"))
                .body("data[0].stream", equalTo(true))
                .body("data[0].prompt_tokens", equalTo(12))
                .body("data[0].completion_tokens", equalTo(40))
                .body("data[0].ttft_ms", equalTo(81.5f))
                .body("data[0].latency_ms", equalTo(930.2f))
                .body("data[0].tokens_per_sec", equalTo(47.1f))
                .body("data[0].status", equalTo("ok"))
                .body("data[0].metadata.source", equalTo("playground"))
                .body("data[0].source", equalTo("playground"))
                .body("data[0].attachments[0].mime_type", equalTo("image/png"))
                .body("data[0].attachments[0].size_bytes", equalTo(1234))
                .body("data[0].attachments[0].sha256", equalTo(
                        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
    }

    @Test
    void batchLargerThanTheLimitIsRefusedWith413() {
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < 51; i++) {
            batch.add(Events.event("big", "m1", Instant.now()));
        }
        Events.post(batch).statusCode(413)
                .body("error.code", equalTo("batch_too_large"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("events"));
    }

    @Test
    void malformedJsonIsA400WithOpenAiShapedError() {
        given().auth().oauth2(Events.WRITER).contentType(ContentType.JSON).body("{\"events\": [")
                .post("/v1/usage/events").then().statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("invalid_json"))
                .body("error.message", notNullValue());
    }

    @Test
    void bodyWithoutEventsArrayIsA400() {
        given().auth().oauth2(Events.WRITER).contentType(ContentType.JSON).body("{\"event\": {}}")
                .post("/v1/usage/events").then().statusCode(400)
                .body("error.param", equalTo("events"));
    }

    @Test
    void ingestWithoutTokenIsUnauthorized() {
        given().contentType(ContentType.JSON).body(Map.of("events", List.of()))
                .post("/v1/usage/events").then().statusCode(401);
    }

    @Test
    void ingestWithAForgedTokenIsUnauthorized() {
        given().auth().oauth2("not.a.jwt").contentType(ContentType.JSON).body(Map.of("events", List.of()))
                .post("/v1/usage/events").then().statusCode(401).body("error.type", equalTo("authentication_error"));
    }

    @Test
    void ingestByAPersonIsForbidden() {
        given().auth().oauth2(TestTokens.user("alice", "user")).contentType(ContentType.JSON)
                .body(Map.of("events", List.of(Events.event("alice", "m1", Instant.now()))))
                .post("/v1/usage/events").then().statusCode(403)
                .body("error.type", equalTo("permission_error"));
    }

    @Test
    void ingestByAnAdminWithoutTheWriterRoleIsForbidden() {
        given().auth().oauth2(Events.ADMIN).contentType(ContentType.JSON).body(Map.of("events", List.of()))
                .post("/v1/usage/events").then().statusCode(403);
    }
}
