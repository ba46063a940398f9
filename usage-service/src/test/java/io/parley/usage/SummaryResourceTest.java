package io.parley.usage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.path.json.config.JsonPathConfig;
import io.restassured.path.json.config.JsonPathConfig.NumberReturnType;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
class SummaryResourceTest {

    private static final Instant DAY1 = Instant.parse("2026-11-18T10:15:00Z");

    /**
     * 100 calls with TTFT 1..100 ms, latency 10..1000 ms and tok/s 1..100; calls 1-10 failed, 11-15 were cancelled.
     * percentile_cont: p50 = 50.5, p95 = 95.05.
     */
    private static List<Map<String, Object>> knownDataSet(String user, String model) {
        List<Map<String, Object>> events = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            Map<String, Object> e = Events.event(user, model, DAY1.plusSeconds(i * 60L));
            e.put("ttft_ms", (double) i);
            e.put("latency_ms", 10.0 * i);
            e.put("tokens_per_sec", (double) i);
            e.put("prompt_tokens", i);
            e.put("completion_tokens", 2 * i);
            e.put("status", i <= 10 ? "error" : i <= 15 ? "cancelled" : "ok");
            events.add(e);
        }
        Events.store(events.subList(0, 50));
        Events.store(events.subList(50, 100));
        return events;
    }

    @Test
    void percentilesCountsAndRatesMatchAKnownDataSet() {
        String model = "pct-" + UUID.randomUUID();
        knownDataSet("pct-user", model);

        JsonPath summary = given().auth().oauth2(Events.ADMIN).queryParam("model", model).queryParam("group_by", "model")
                .get("/admin/usage/summary").then().statusCode(200)
                .body("group_by", equalTo("model"))
                .body("groups", hasSize(1))
                .body("groups[0].key", equalTo(model))
                .body("groups[0].calls", equalTo(100))
                .body("groups[0].ok", equalTo(85))
                .body("groups[0].errors", equalTo(10))
                .body("groups[0].cancelled", equalTo(5))
                .body("groups[0].prompt_tokens", equalTo(5050))
                .body("groups[0].completion_tokens", equalTo(10100))
                .body("groups[0].total_tokens", equalTo(15150))
                .body("groups[0].percentiles_exact", equalTo(true))
                .body("totals.calls", equalTo(100))
                .extract().jsonPath(JsonPathConfig.jsonPathConfig().numberReturnType(NumberReturnType.DOUBLE));
        assertEquals(50.5, summary.getDouble("groups[0].ttft_ms_p50"), 1e-9);
        assertEquals(95.05, summary.getDouble("groups[0].ttft_ms_p95"), 1e-9);
        assertEquals(505.0, summary.getDouble("groups[0].latency_ms_p50"), 1e-9);
        assertEquals(950.5, summary.getDouble("groups[0].latency_ms_p95"), 1e-9);
        assertEquals(50.5, summary.getDouble("groups[0].tokens_per_sec_mean"), 1e-9);
        assertEquals(0.10, summary.getDouble("groups[0].error_rate"), 1e-9);
        assertEquals(0.05, summary.getDouble("groups[0].cancel_rate"), 1e-9);
        assertEquals(50.5, summary.getDouble("totals.ttft_ms_p50"), 1e-9);
    }

    @Test
    void groupsByUserDayAndHour() {
        String model = "grp-" + UUID.randomUUID();
        Events.store(List.of(
                Events.event("gu-a", model, Instant.parse("2026-11-18T10:05:00Z")),
                Events.event("gu-a", model, Instant.parse("2026-11-18T11:05:00Z")),
                Events.event("gu-b", model, Instant.parse("2026-11-19T10:05:00Z"))));

        given().auth().oauth2(Events.ADMIN).queryParam("model", model).queryParam("group_by", "user")
                .get("/admin/usage/summary").then().statusCode(200)
                .body("groups.key", contains("gu-a", "gu-b")).body("groups.calls", contains(2, 1));
        given().auth().oauth2(Events.ADMIN).queryParam("model", model).queryParam("group_by", "day")
                .get("/admin/usage/summary").then().statusCode(200)
                .body("groups.key", contains("2026-11-18", "2026-11-19")).body("groups.calls", contains(2, 1));
        given().auth().oauth2(Events.ADMIN).queryParam("model", model).queryParam("group_by", "hour")
                .queryParam("from", "2026-11-18T00:00:00Z").queryParam("to", "2026-11-19T00:00:00Z")
                .get("/admin/usage/summary").then().statusCode(200)
                .body("groups.key", contains("2026-11-18T10:00:00Z", "2026-11-18T11:00:00Z"))
                .body("totals.calls", equalTo(2));
    }

    @Test
    void unknownGroupingIsA400() {
        given().auth().oauth2(Events.ADMIN).queryParam("group_by", "planet").get("/admin/usage/summary").then()
                .statusCode(400).body("error.param", equalTo("group_by"));
    }

    @Test
    void summaryIsForAdminsOnly() {
        given().auth().oauth2(TestTokens.user("alice", "user")).get("/admin/usage/summary").then().statusCode(403);
        given().auth().oauth2(Events.WRITER).get("/admin/usage/summary").then().statusCode(403);
        given().get("/admin/usage/summary").then().statusCode(401);
    }

    @Test
    void summaryExportsAsCsv() {
        String model = "sumcsv-" + UUID.randomUUID();
        Events.store(List.of(Events.event("sc", model, DAY1), Events.event("sc", model, DAY1)));
        String csv = given().auth().oauth2(Events.ADMIN).queryParam("model", model).queryParam("format", "csv")
                .get("/admin/usage/summary").then().statusCode(200)
                .contentType(org.hamcrest.Matchers.startsWith("text/csv")).extract().asString();
        String[] lines = csv.split("\r\n");
        org.junit.jupiter.api.Assertions.assertEquals(2, lines.length);
        org.junit.jupiter.api.Assertions.assertTrue(lines[0].startsWith("key,calls,ok,errors,cancelled,prompt_tokens"));
        org.junit.jupiter.api.Assertions.assertTrue(lines[1].startsWith(model + ",2,2,0,0,24,80,104,81.5,81.5,930.2,930.2,"),
                lines[1]);
    }
}
