package io.parley.usage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.usage.service.RetentionService;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.path.json.config.JsonPathConfig;
import io.restassured.path.json.config.JsonPathConfig.NumberReturnType;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
class RetentionTest {

    @Inject
    RetentionService retention;

    private static JsonPath summary(String model, String groupBy) {
        return given().auth().oauth2(Events.ADMIN).queryParam("model", model).queryParam("group_by", groupBy)
                .get("/admin/usage/summary").then().statusCode(200).extract()
                .jsonPath(JsonPathConfig.jsonPathConfig().numberReturnType(NumberReturnType.DOUBLE));
    }

    @Test
    void rollupKeepsSummaryTotalsAndDeletesOldRawRecords() {
        String model = "ret-" + UUID.randomUUID();
        Instant oldDay1 = Instant.parse("2025-01-10T08:00:00Z");
        Instant oldDay2 = Instant.parse("2025-01-11T08:00:00Z");
        Instant recent = Instant.parse("2026-11-21T08:00:00Z");
        List<Map<String, Object>> events = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            for (Instant day : List.of(oldDay1, oldDay2, recent)) {
                Map<String, Object> e = Events.event(i % 2 == 0 ? "ret-a" : "ret-b", model, day.plusSeconds(i));
                e.put("ttft_ms", (double) i * 10);
                e.put("latency_ms", (double) i * 100);
                e.put("tokens_per_sec", (double) i);
                e.put("prompt_tokens", i);
                e.put("status", i == 1 ? "error" : i == 2 ? "cancelled" : "ok");
                events.add(e);
            }
        }
        Events.store(events);
        JsonPath byDayBefore = summary(model, "day");
        JsonPath byModelBefore = summary(model, "model");
        JsonPath byUserBefore = summary(model, "user");

        long moved = retention.rollUp(LocalDate.parse("2026-01-01"));

        assertTrue(moved >= 20, "the two old days of this test were rolled up, moved " + moved);
        given().auth().oauth2(Events.ADMIN).queryParam("model", model).get("/admin/usage").then()
                .statusCode(200).body("data", hasSize(10));
        JsonPath byDayAfter = summary(model, "day");
        JsonPath byModelAfter = summary(model, "model");
        JsonPath byUserAfter = summary(model, "user");

        // day groups: each rolled-up day is one stored row per user and status, so totals and rates are exact
        for (String field : List.of("key", "calls", "ok", "errors", "cancelled", "prompt_tokens", "completion_tokens",
                "total_tokens", "tokens_per_sec_mean", "error_rate", "cancel_rate")) {
            assertEquals(byDayBefore.getList("groups." + field), byDayAfter.getList("groups." + field), field);
            assertEquals(byModelBefore.getList("groups." + field), byModelAfter.getList("groups." + field), field);
            assertEquals(byUserBefore.getList("groups." + field), byUserAfter.getList("groups." + field), field);
            assertEquals((Object) byModelBefore.get("totals." + field), byModelAfter.get("totals." + field), field);
        }
        // the recent day is still raw: its percentiles are untouched and exact
        assertEquals(byDayBefore.getDouble("groups[2].ttft_ms_p50"), byDayAfter.getDouble("groups[2].ttft_ms_p50"));
        assertTrue(byDayAfter.getBoolean("groups[2].percentiles_exact"));
        // a group spanning rollups and raw records is flagged approximate
        assertFalse(byModelAfter.getBoolean("groups[0].percentiles_exact"));
        assertTrue(byModelBefore.getBoolean("groups[0].percentiles_exact"));
    }

    @Test
    void rollingUpTheSameDayAgainMergesLateRecords() {
        String model = "late-" + UUID.randomUUID();
        Instant old = Instant.parse("2025-02-03T08:00:00Z");
        Map<String, Object> first = Events.event("late-user", model, old);
        Events.store(List.of(first));
        retention.rollUp(LocalDate.parse("2026-01-01"));
        Map<String, Object> late = Events.event("late-user", model, old.plusSeconds(5));
        late.put("ttft_ms", 181.5);
        Events.store(List.of(late));
        retention.rollUp(LocalDate.parse("2026-01-01"));

        JsonPath after = summary(model, "day");
        assertEquals(2, after.getInt("groups[0].calls"));
        assertEquals(24, after.getInt("groups[0].prompt_tokens"));
        assertEquals(131.5, after.getDouble("groups[0].ttft_ms_p50"), 1e-9);
        given().auth().oauth2(Events.ADMIN).queryParam("model", model).get("/admin/usage").then()
                .statusCode(200).body("data", hasSize(0));
    }
}
