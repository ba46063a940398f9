package io.parley.usage;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** With retention on, the scheduled job rolls old days up by itself and ingest refuses already rolled-up days. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@TestProfile(ScheduledRetentionTest.RetentionOn.class)
class ScheduledRetentionTest {

    public static class RetentionOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("parley.usage.retention.enabled", "true",
                    "parley.usage.retention.days", "7",
                    "parley.usage.retention.every", "1s",
                    "parley.usage.retention.initial-delay", "1s");
        }
    }

    @Inject
    DataSource dataSource;

    @Test
    void scheduledJobRollsUpOldRawRecordsAndKeepsTheirTotals() throws Exception {
        // written behind ingest's back: ingest itself refuses days outside the window (next test)
        OffsetDateTime old = OffsetDateTime.now(ZoneOffset.UTC).minusDays(20);
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO usage_records (request_id, occurred_at, user_id, model, status, prompt_tokens, ttft_ms)"
                                + " VALUES (?, ?, 'sched-user', 'sched-model', 'ok', 7, 42.0)")) {
            for (int i = 0; i < 3; i++) {
                ps.setString(1, "sched-" + i);
                ps.setObject(2, old.plusSeconds(i));
                ps.addBatch();
            }
            ps.executeBatch();
        }

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(0, count(
                "SELECT count(*) FROM usage_records WHERE model = 'sched-model'")));
        assertEquals(3, count("SELECT sum(calls) FROM usage_daily WHERE model = 'sched-model'"));
        given().auth().oauth2(Events.ADMIN).queryParam("model", "sched-model").get("/admin/usage/summary").then()
                .statusCode(200).body("totals.calls", equalTo(3)).body("totals.prompt_tokens", equalTo(21));
    }

    @Test
    void ingestRejectsEventsOfDaysAlreadyRolledUp() {
        var old = Events.event("sched-user", "sched-ingest", Instant.now().minus(10, ChronoUnit.DAYS));
        var fresh = Events.event("sched-user", "sched-ingest", Instant.now());
        Events.post(List.of(old, fresh)).statusCode(200)
                .body("accepted", equalTo(1))
                .body("rejected[0].index", equalTo(0))
                .body("rejected[0].reason", containsString("retention"));
    }

    private long count(String sql) throws Exception {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
