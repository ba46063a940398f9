package io.parley.registry.rest;

import static io.parley.registry.support.FakeUpstreamResource.UPSTREAM;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.parley.registry.support.FakeUpstreamResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(TtlProfile.class)
@QuarkusTestResource(FakeUpstreamResource.class)
class HealthTtlTest {

    static final String ALICE = TestTokens.user("alice", "user");
    static final String LLAMA = "models.find { it.name == 'llama-3.1-8b-sim' }.";

    @AfterEach
    void restore() {
        UPSTREAM.reset();
    }

    @Test
    void modelLeavesRunningWhenItsLastSuccessfulProbeOutlivesTheTtl() {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().auth().oauth2(ALICE)
                .when().get("/v1/models/running").then().body("models.name", hasItem("llama-3.1-8b-sim")));

        UPSTREAM.hang(); // probes now neither succeed nor fail: only the TTL can take the model out
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().auth().oauth2(ALICE)
                .when().get("/v1/models").then()
                .body(LLAMA + "state", equalTo("Unhealthy"))
                .body(LLAMA + "reason",
                        matchesPattern("last successful health probe \\d+s ago, older than the TTL of 2s")));
        given().auth().oauth2(ALICE).when().get("/v1/models/running").then()
                .body("models.name", not(hasItem("llama-3.1-8b-sim")));

        UPSTREAM.release();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> given().auth().oauth2(ALICE)
                .when().get("/v1/models/running").then().body("models.name", hasItem("llama-3.1-8b-sim")));
    }
}
