package io.parley.usage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
class MetricsTest {

    @Test
    void ingestOutcomesAndLagAreExposedToPrometheus() {
        var good = Events.event("metrics-user", "m-metrics", Instant.now());
        Events.post(List.of(good, Events.with(good, "status", "bad"))).statusCode(200);

        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("parley_usage_events_ingested_total{outcome=\"accepted\"}"))
                .body(containsString("parley_usage_events_ingested_total{outcome=\"rejected\"}"))
                .body(containsString("parley_usage_events_ingested_total{outcome=\"duplicate\"}"))
                .body(containsString("parley_usage_ingest_lag_seconds_count"));
    }
}
