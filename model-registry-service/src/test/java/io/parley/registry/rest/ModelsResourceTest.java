package io.parley.registry.rest;

import static io.parley.registry.support.FakeUpstreamResource.UPSTREAM;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.parley.registry.support.FakeUpstream;
import io.parley.registry.support.FakeUpstreamResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

@QuarkusTest
@QuarkusTestResource(FakeUpstreamResource.class)
class ModelsResourceTest {

    static final String ALICE = TestTokens.user("alice", "user");
    static final String ADMIN = TestTokens.user("admin", "user", "admin");
    static final Duration WAIT = Duration.ofSeconds(15);

    @AfterEach
    void restoreUpstream() {
        UPSTREAM.reset();
    }

    /** As an admin: the view with upstream URLs and credential references (RegistryTrustSecurityTest: a user's). */
    static ValidatableResponse get(String path) {
        return given().auth().oauth2(ADMIN).when().get(path).then();
    }

    static void awaitState(String model, String state) {
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models").statusCode(200)
                .body("models.find { it.name == '" + model + "' }.state", equalTo(state)));
    }

    @Test
    void healthyUpstreamModelIsRunningWithProbedMaxModelLen() {
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models/running").statusCode(200)
                .body("models.name", hasItem("llama-3.1-8b-sim")));
        get("/v1/models/running")
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.deployment", equalTo("local-simulator"))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.namespace", nullValue())
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.source", equalTo("static"))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.engine_type", equalTo("vllm"))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.task", equalTo("chat"))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.state", equalTo("Ready"))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.reason", nullValue())
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.endpoints[0].url", equalTo(UPSTREAM.url()))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.endpoints[0].credential_ref", nullValue())
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.max_model_len", equalTo(8192))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.last_probe_at", notNullValue())
                .body("models.name", not(hasItem("ghost-model")));
    }

    @Test
    void entriesCarryIdAliasesCapabilitiesCategoryAndTaskFromTheStaticConfig() {
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models/running").statusCode(200)
                .body("models.name", hasItem("llama-3.1-8b-sim")));
        get("/v1/models/running")
                .body("stale", equalTo(false))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.id",
                        equalTo("static/local-simulator/llama-3.1-8b-sim"))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.aliases",
                        equalTo(java.util.List.of("llama-sim", "Meta-Llama-3.1-8B-Instruct")))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.capabilities", equalTo(java.util.List.of("text")))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }", org.hamcrest.Matchers.hasKey("category"))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.category", nullValue());
        get("/v1/models")
                .body("stale", equalTo(false))
                .body("models.find { it.name == 'echo-sim' }.aliases", equalTo(java.util.List.of()))
                .body("models.find { it.name == 'ghost-vision' }.id", equalTo("static/nobody-home/ghost-vision"))
                .body("models.find { it.name == 'ghost-vision' }.capabilities",
                        equalTo(java.util.List.of("text", "vision")))
                .body("models.find { it.name == 'ghost-vision' }.category", equalTo("chat"))
                .body("models.find { it.name == 'ghost-vision' }.task", equalTo("chat"))
                .body("models.find { it.name == 'ghost-completion' }.task", equalTo("completion"))
                .body("models.find { it.name == 'ghost-embed' }.capabilities",
                        equalTo(java.util.List.of("embeddings")))
                .body("models.find { it.name == 'ghost-embed' }.category", equalTo("embedding"))
                .body("models.find { it.name == 'ghost-embed' }.task", equalTo("embedding"));
    }

    @Test
    void failingUpstreamTakesModelOutOfRunningWithTheProbeError() {
        awaitState("llama-3.1-8b-sim", "Ready");
        UPSTREAM.setHealthy(false);
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models/running")
                .body("models.name", not(hasItem("llama-3.1-8b-sim"))));
        // a probe round in flight when the upstream turned unhealthy may have passed /health and then failed
        // /v1/models; either way the reason names the probe that failed and its status
        get("/v1/models")
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.state", equalTo("Unhealthy"))
                .body("models.find { it.name == 'llama-3.1-8b-sim' }.reason",
                        matchesPattern("health probe failed \\d+x: GET (/health|/v1/models) answered 503"));
        UPSTREAM.setHealthy(true);
        awaitState("llama-3.1-8b-sim", "Ready");
    }

    @Test
    void unreachableUpstreamIsUnhealthyWithConnectionRefused() {
        await().atMost(WAIT).untilAsserted(() -> get("/v1/models")
                .body("models.find { it.name == 'ghost-model' }.state", equalTo("Unhealthy"))
                .body("models.find { it.name == 'ghost-model' }.reason",
                        matchesPattern("health probe failed \\d+x: connection refused"))
                .body("models.find { it.name == 'ghost-model' }.deployment", equalTo("nobody-home"))
                .body("models.find { it.name == 'ghost-model' }.endpoints[0].credential_ref",
                        equalTo("env:PARLEY_TEST_UPSTREAM_KEY")));
    }

    @Test
    void upstreamKeyIsSentToTheUpstreamButNeverAnswered() {
        awaitState("keyed-model", "Ready");
        String all = get("/v1/models").extract().asString();
        String running = get("/v1/models/running").extract().asString();
        String constraints = get("/v1/models/keyed-model/constraints").statusCode(200).extract().asString();
        for (String body : new String[] { all, running, constraints }) {
            assertFalse(body.contains(FakeUpstream.KEY), body);
            assertFalse(body.contains("sk-test-never-shown"), body);
        }
        assertTrue(all.contains("env:PARLEY_TEST_KEYED_KEY"));
    }

    @Test
    void modelTheUpstreamStopsListingLeavesRunning() {
        awaitState("echo-sim", "Ready");
        UPSTREAM.stopServing("echo-sim");
        awaitState("echo-sim", "Unhealthy");
        get("/v1/models").body("models.find { it.name == 'echo-sim' }.reason",
                equalTo("upstream " + UPSTREAM.url() + " does not list model 'echo-sim' in /v1/models"));
    }

    @Test
    void constraintsHaveExactlyTheContractKeys() {
        awaitState("llama-3.1-8b-sim", "Ready");
        Map<String, Object> body = get("/v1/models/llama-3.1-8b-sim/constraints").statusCode(200)
                .extract().jsonPath().getMap("$");
        assertEquals(Set.of("served_model_name", "engine_type", "task", "context_size", "max_model_len",
                "max_tokens_default", "request_defaults", "supports_streaming", "supports_system_prompt"),
                body.keySet());
        get("/v1/models/llama-3.1-8b-sim/constraints")
                .body("served_model_name", equalTo("llama-3.1-8b-sim"))
                .body("engine_type", equalTo("vllm"))
                .body("task", equalTo("chat"))
                .body("context_size", equalTo(8192))
                .body("max_model_len", equalTo(8192))
                .body("max_tokens_default", equalTo(1000))
                .body("request_defaults.temperature", equalTo(0.5f))
                .body("request_defaults.top_p", equalTo(1.0f))
                .body("supports_streaming", equalTo(true))
                .body("supports_system_prompt", equalTo(true));
    }

    @Test
    void maxTokensDefaultIsHalfTheProbedContextWhenNotConfigured() {
        awaitState("echo-sim", "Ready");
        get("/v1/models/echo-sim/constraints").statusCode(200)
                .body("max_model_len", equalTo(4096))
                .body("max_tokens_default", equalTo(2048))
                .body("request_defaults.temperature", equalTo(0.7f));
    }

    @Test
    void unknownModelAnswers404InTheOpenAiShape() {
        get("/v1/models/no-such-model/constraints").statusCode(404)
                .body("error.message", containsString("no-such-model"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("model_not_found"))
                .body("error", org.hamcrest.Matchers.hasKey("param"));
    }

    @Test
    void everyModelEndpointNeedsAToken() {
        for (String path : new String[] { "/v1/models", "/v1/models/running", "/v1/models/echo-sim/constraints" }) {
            given().when().get(path).then().statusCode(401).body("error.type", equalTo("authentication_error"));
            given().auth().oauth2("not-a-jwt").when().get(path).then().statusCode(401);
        }
    }

    @Test
    void refreshHealthNeedsAdminAndProbesAtOnce() {
        given().auth().oauth2(ALICE).when().post("/admin/upstreams/refresh-health").then().statusCode(403)
                .body("error.code", equalTo("forbidden"));
        given().when().post("/admin/upstreams/refresh-health").then().statusCode(401);
        int before = UPSTREAM.healthRequests();
        given().auth().oauth2(ADMIN).when().post("/admin/upstreams/refresh-health").then().statusCode(200)
                .body("models.name", hasItem("llama-3.1-8b-sim"));
        assertTrue(UPSTREAM.healthRequests() > before, "the refresh probed the upstream");
    }

    @Test
    void readinessIsUpOnceTheStaticSourceLoaded() {
        given().when().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'model-sources' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'model-sources' }.data.static", equalTo("ready"));
    }

    @Test
    void openApiDocumentsEveryRegistryEndpoint() {
        String doc = given().when().get("/q/openapi?format=json").then().statusCode(200).extract().asString();
        for (String path : new String[] { "/v1/models", "/v1/models/running", "/v1/models/{name}/constraints",
                "/v1/models/changes", "/v1/deployments", "/v1/deployments/{name}", "/admin/upstreams/refresh-health" }) {
            assertTrue(doc.contains("\"" + path + "\""), path);
        }
    }

    @Test
    void staticEndpointsAreListedAsDeployments() {
        get("/v1/deployments").statusCode(200)
                .body("deployments.find { it.name == 'local-simulator' }.source", equalTo("static"))
                .body("deployments.find { it.name == 'local-simulator' }.endpoint_resolved_by", equalTo("static"))
                .body("deployments.find { it.name == 'local-simulator' }.models", hasItem(
                        org.hamcrest.Matchers.hasEntry("name", "llama-3.1-8b-sim")));
        given().auth().oauth2(ALICE).when().get("/v1/deployments/nope").then().statusCode(404)
                .body("error.code", equalTo("deployment_not_found"));
    }
}
