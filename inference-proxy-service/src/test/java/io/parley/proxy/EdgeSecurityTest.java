package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.EdgeProbes;
import io.parley.testsupport.FakeOidc;
import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * Issue 15, the proxy's edge: what an anonymous or slow client could make it hold, tried on a raw socket as the sweep
 * did.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
@TestProfile(EdgeSecurityTest.ShortTimeouts.class)
class EdgeSecurityTest {

    /** The edge's timeouts shortened, so that a stalled client is closed within the test. */
    public static class ShortTimeouts implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // a client id and secret, with which the provider would answer introspections
            return Map.of("quarkus.http.idle-timeout", "3s", "parley.edge.body-idle-timeout", "2s",
                    "quarkus.management.enabled", "true",
                    "quarkus.oidc.client-id", "parley-proxy", "quarkus.oidc.credentials.secret", "test-secret");
        }

        /** A provider with an introspection endpoint, to see that the proxy does not call it. */
        @Override
        public java.util.List<TestResourceEntry> testResources() {
            return java.util.List.of(new TestResourceEntry(FakeOidc.class));
        }
    }

    @TestHTTPResource("/")
    URL base;

    /** The management interface (its own port, as in production). */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Inject
    DataSource dataSource;

    /** Issue 15: the proxy read a 100 MiB body from a client with no token before it answered 401 (heap +112 MB). */
    @Test
    void anAnonymous100MibBodyIsAnswered401BeforeItIsSentAndTheConnectionCloses() throws Exception {
        for (String path : new String[] { "/v1/chat/completions", "/v1/completions", "/v1/responses", "/v1/messages",
                "/v1/keys" }) {
            String received = EdgeProbes.refusedBeforeTheBody(base.getPort(), "POST", path, null, 401);
            assertTrue(received.contains("authentication_error"), received);
        }
    }

    /** Below the body limit too, and with a token that does not verify: the body is never waited for. */
    @Test
    void anAnonymousOrInvalidBodyUnderTheLimitIsNotWaitedFor() throws Exception {
        EdgeProbes.refusedBeforeTheBody(base.getPort(), "POST", "/v1/chat/completions", 512 * 1024, null, 401);
        EdgeProbes.refusedBeforeTheBody(base.getPort(), "POST", "/v1/chat/completions", 512 * 1024,
                "Bearer not-a-jwt.at.all", 401);
        EdgeProbes.refusedBeforeTheBody(base.getPort(), "POST", "/v1/keys", 512 * 1024, "Bearer prl_unknown", 401);
    }

    /** A signed-in client that stops in the middle of its body is answered 408 and closed (2 s here). */
    @Test
    void aClientThatStopsMidBodyIsClosed() throws Exception {
        EdgeProbes.stalledBodyIsClosed(base.getPort(), "/v1/chat/completions",
                "Bearer " + TestTokens.user("edge-1", "user"));
    }

    /** Slowloris: a request head that stops before its end holds no connection past the idle timeout (3 s here). */
    @Test
    void aClientThatStopsInTheMiddleOfItsHeadersIsClosed() throws Exception {
        EdgeProbes.stalledHeadIsClosed(base.getPort(), "/v1/chat/completions");
    }

    @Test
    void anIdleKeptAliveConnectionIsClosed() throws Exception {
        EdgeProbes.idleKeptAliveConnectionIsClosed(base.getPort(), "/q/health/live");
    }

    /** Issue 15: a service account (client credentials) could mint user API keys. */
    @Test
    void aServiceAccountCannotMintOrManageApiKeys() throws Exception {
        String service = "Bearer " + TestTokens.service("parley-proxy", "usage-writer");
        given().header("Authorization", service).contentType("application/json").body("{\"name\":\"minted\"}")
                .when().post("/v1/keys")
                .then().statusCode(403).body("error.type", equalTo("permission_error"))
                .body("error.message", containsString("service account"));
        given().header("Authorization", service).when().get("/v1/keys").then().statusCode(403);
        given().header("Authorization", service).when().delete("/v1/keys/key_x").then().statusCode(403);
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("select count(*) from api_keys where owner like ?")) {
            ps.setString(1, "%service-account-parley-proxy%");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertEquals(0, rs.getInt(1), "a key was minted for the service account");
            }
        }
        // a person still mints keys
        given().header("Authorization", "Bearer " + TestTokens.user("edge-person", "user"))
                .contentType("application/json").body("{\"name\":\"mine\"}").when().post("/v1/keys")
                .then().statusCode(201);
    }

    /** Issue 15: every random opaque bearer triggered a call to Keycloak's introspection endpoint. */
    @Test
    void anOpaqueBearerIsRefusedWithoutAskingTheProvider() throws Exception {
        int before = FakeOidc.introspections.get();
        for (int i = 0; i < 5; i++) {
            given().header("Authorization", "Bearer opaque-" + java.util.UUID.randomUUID()).when().get("/v1/models")
                    .then().statusCode(401).body("error.type", equalTo("authentication_error"));
        }
        given().header("Authorization", "Bearer opaque-" + java.util.UUID.randomUUID()).contentType("application/json")
                .body("{\"model\":\"sim-chat\",\"messages\":[]}").when().post("/v1/chat/completions")
                .then().statusCode(401);
        assertEquals(before, FakeOidc.introspections.get(), "the provider was asked to introspect an opaque bearer");
        // a JWT of the provider is verified with its published keys, as before
        given().header("Authorization", "Bearer " + TestTokens.user("edge-opaque", "user")).when().get("/v1/models")
                .then().statusCode(200);
        assertTrue(FakeOidc.keyReads.get() > 0, "the proxy did not use the fake provider's keys");
    }

    /**
     * Issue 15: no audience check, so a token the realm issued for another of its clients was accepted. A token must
     * carry the audience {@code parley} (the realm's audience mapper puts it there for Parley's clients), on the REST
     * routes and on the relay alike.
     */
    @Test
    void aTokenWithoutTheParleyAudienceIsRefused() {
        for (Object aud : new Object[] { "another-app", java.util.List.of("account", "another-app") }) {
            String other = TestTokens.token("edge-audience", java.util.Set.of("user"), Map.of("aud", aud));
            given().auth().oauth2(other).when().get("/v1/models").then().statusCode(401);
            given().auth().oauth2(other).contentType("application/json")
                    .body("{\"model\":\"sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                    .when().post("/v1/chat/completions").then().statusCode(401);
            given().auth().oauth2(other).contentType("application/json").body("{\"name\":\"k\"}").when().post("/v1/keys")
                    .then().statusCode(401);
        }
        String also = TestTokens.token("edge-audience", java.util.Set.of("user"),
                Map.of("aud", java.util.List.of("account", TestTokens.AUDIENCE)));
        given().auth().oauth2(also).when().get("/v1/models").then().statusCode(200);
        given().auth().oauth2(TestTokens.user("edge-audience", "user")).when().get("/v1/models").then().statusCode(200);
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
