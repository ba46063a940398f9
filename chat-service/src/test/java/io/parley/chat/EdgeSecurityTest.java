package io.parley.chat;

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

/** Issue 15, the edge of chat-service: anonymous bodies are never read, slow clients are closed. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
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

    /** Issue 15: a 100 MiB turn from a client with neither token nor session cookie was read before the 401. */
    @Test
    void anAnonymous100MibBodyIsAnswered401BeforeItIsSent() throws Exception {
        for (String path : new String[] { "/v1/chat/sessions", "/v1/chat/sessions/s1/turns",
                "/v1/chat/sessions/s1/messages" }) {
            String received = EdgeProbes.refusedBeforeTheBody(base.getPort(), "POST", path, null, 401);
            assertTrue(received.contains("authentication_error"), received);
        }
        EdgeProbes.refusedBeforeTheBody(base.getPort(), "POST", "/v1/chat/sessions", 1024 * 1024, "Bearer not.a.token",
                401);
    }

    @Test
    void aSignedInClientThatStopsMidBodyIsClosed() throws Exception {
        EdgeProbes.stalledBodyIsClosed(base.getPort(), "/v1/chat/sessions", "Bearer " + Api.ALICE);
    }

    @Test
    void aHalfSentRequestHeadIsClosed() throws Exception {
        EdgeProbes.stalledHeadIsClosed(base.getPort(), "/v1/chat/sessions");
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
            io.restassured.RestAssured.given().auth().oauth2(other).when().get("/v1/me").then().statusCode(401);
        }
        // among other audiences, parley is enough
        String also = TestTokens.token("edge-audience", java.util.Set.of("user"),
                Map.of("aud", java.util.List.of("account", TestTokens.AUDIENCE)));
        io.restassured.RestAssured.given().auth().oauth2(also).when().get("/v1/me").then().statusCode(200);
        io.restassured.RestAssured.given().auth().oauth2(TestTokens.user("edge-audience", "user")).when().get("/v1/me")
                .then().statusCode(200);
    }
}
