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
            return Map.of("quarkus.http.idle-timeout", "3s", "parley.edge.body-idle-timeout", "2s");
        }
    }

    @TestHTTPResource("/")
    URL base;

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
}
