package io.parley.usage;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.EdgeProbes;
import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** Issue 15, the edge of usage-service: anonymous bodies are never read, slow clients are closed. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@TestProfile(EdgeSecurityTest.ShortTimeouts.class)
class EdgeSecurityTest {

    /** The edge's timeouts shortened, so that a stalled client is closed within the test. */
    public static class ShortTimeouts implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.idle-timeout", "3s", "parley.edge.body-idle-timeout", "2s",
                    "quarkus.management.enabled", "true");
        }
    }

    @TestHTTPResource("/")
    URL base;

    /** The management interface (its own port, as in production). */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    /** Issue 15: a 100 MiB body from a client with no token was read before the 401. */
    @Test
    void anAnonymous100MibBatchIsAnswered401BeforeItIsSent() throws Exception {
        String received = EdgeProbes.refusedBeforeTheBody(base.getPort(), "POST", "/v1/usage/events", null, 401);
        assertTrue(received.contains("authentication_error"), received);
    }

    @Test
    void aCallerWithoutTheWriterRoleIsAnswered403BeforeTheBody() throws Exception {
        // under the body limit (a larger body is 413 before the role is looked at, also unread)
        EdgeProbes.refusedBeforeTheBody(base.getPort(), "POST", "/v1/usage/events", 1024 * 1024, "Bearer " + Events.ADMIN,
                403);
    }

    @Test
    void anInvalidTokenIsAnswered401BeforeTheBody() throws Exception {
        EdgeProbes.refusedBeforeTheBody(base.getPort(), "POST", "/v1/usage/events", "Bearer not.a.token", 401);
    }

    @Test
    void aWriterThatStopsMidBatchIsClosed() throws Exception {
        EdgeProbes.stalledBodyIsClosed(base.getPort(), "/v1/usage/events", "Bearer " + Events.WRITER);
    }

    @Test
    void aHalfSentRequestHeadIsClosed() throws Exception {
        EdgeProbes.stalledHeadIsClosed(base.getPort(), "/v1/usage/events");
    }

    @Test
    void anIdleKeptAliveConnectionIsClosed() throws Exception {
        EdgeProbes.idleKeptAliveConnectionIsClosed(base.getPort(), "/q/health/live");
    }

    /**
     * Issue 15: no audience check, so a token the realm issued for another of its clients was accepted. A token must
     * carry the audience {@code parley} (the realm's audience mapper puts it there for Parley's clients).
     */
    @Test
    void aTokenWithoutTheParleyAudienceIsRefused() {
        for (Object aud : new Object[] { "another-app", java.util.List.of("account", "another-app") }) {
            String other = TestTokens.token("edge-audience", java.util.Set.of("user"), Map.of("aud", aud));
            io.restassured.RestAssured.given().auth().oauth2(other).when().get("/v1/usage/me").then().statusCode(401);
        }
        // among other audiences, parley is enough
        String also = TestTokens.token("edge-audience", java.util.Set.of("user"),
                Map.of("aud", java.util.List.of("account", TestTokens.AUDIENCE)));
        io.restassured.RestAssured.given().auth().oauth2(also).when().get("/v1/usage/me").then().statusCode(200);
        io.restassured.RestAssured.given().auth().oauth2(TestTokens.user("edge-audience", "user")).when().get("/v1/usage/me")
                .then().statusCode(200);
    }

    /**
     * Issue 15: {@code /q/metrics} and {@code /q/openapi} were open to anyone on the API port. They are served on the
     * management interface only (its own port, which no Service exposes); health stays on the API port for the probes.
     */
    @Test
    void metricsAndOpenApiAreServedOnTheManagementPortOnly() {
        int api = base.getPort();
        int mgmt = management.getPort();
        for (String path : new String[] { "/q/metrics", "/q/openapi", "/q/metrics/", "/q/openapi?format=json" }) {
            io.restassured.RestAssured.given().port(api).redirects().follow(false).when().get(path).then()
                    .statusCode(org.hamcrest.Matchers.anyOf(org.hamcrest.Matchers.is(404), org.hamcrest.Matchers.is(401)));
            // a token does not open them on the API port either
            io.restassured.RestAssured.given().port(api).auth().oauth2(TestTokens.user("edge-mgmt", "user", "admin"))
                    .redirects().follow(false).when().get(path).then().statusCode(404);
        }
        io.restassured.RestAssured.given().port(mgmt).when().get("/q/openapi").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("openapi"));
        io.restassured.RestAssured.given().port(mgmt).when().get("/q/metrics").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("# TYPE"));
        // the probes (kubelet, the launcher) still read health on the API port, without a token
        io.restassured.RestAssured.given().port(api).when().get("/q/health/live").then().statusCode(200);
    }
}
