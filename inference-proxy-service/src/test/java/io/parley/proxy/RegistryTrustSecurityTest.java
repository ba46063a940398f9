package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Registry trust at the proxy (issue 15 point 6): the proxy resolves an endpoint's credential reference by the rule
 * the registry applies ({@code io.parley.contracts.CredentialRef}), so even a registry entry naming
 * {@code env:PATH} (any variable of the process) sends nothing; an allow-listed variable and a Secret key (read from the
 * Kubernetes API with the service account token) are sent as the bearer. Its {@code /v1/models} shows no upstream URL
 * or credential reference to anyone.
 */
@QuarkusTest
@TestProfile(RegistryTrustSecurityTest.Profile.class)
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class RegistryTrustSecurityTest {

    static final String USER = "Bearer " + TestTokens.user("alice", "user");
    static final String ADMIN = "Bearer " + TestTokens.user("admin", "user", "admin");
    static final String SECRET_KEY = "sk-from-the-secret";
    static final AtomicInteger secretReads = new AtomicInteger();
    static Vertx apiVertx;

    /** One allowed variable (HOME, set in every test JVM), and a fake Kubernetes API with one Secret. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path token = Files.createTempFile("parley-sa-token", "");
                Files.writeString(token, "sa-token-of-the-proxy");
                apiVertx = Vertx.vertx();
                var server = apiVertx.createHttpServer().requestHandler(req -> {
                    if (req.path().startsWith("/api/v1/namespaces/team-a/secrets/")) {
                        secretReads.incrementAndGet();
                    }
                    if (req.path().equals("/api/v1/namespaces/team-a/secrets/llama-key")
                            && "Bearer sa-token-of-the-proxy".equals(req.getHeader("Authorization"))) {
                        req.response().putHeader("Content-Type", "application/json").end(new JsonObject()
                                .put("kind", "Secret").put("data", new JsonObject().put("api-key", Base64.getEncoder()
                                        .encodeToString(SECRET_KEY.getBytes(StandardCharsets.UTF_8))))
                                .encode());
                    } else {
                        req.response().setStatusCode(404).end();
                    }
                }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                return Map.of(
                        "parley.credentials.allowed-env", "HOME,PARLEY_TEST_UNSET_KEY",
                        "parley.credentials.kubernetes-api", "http://127.0.0.1:" + server.actualPort(),
                        "parley.credentials.token-file", token.toString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @AfterAll
    static void stopApi() {
        if (apiVertx != null) {
            apiVertx.close();
        }
    }

    @Test
    void aVariableOfTheProcessThatIsNotAllowListedIsNeverSentUpstream() {
        announce("trust-env-path", "env:PATH");

        assertKeyUnavailable("trust-env-path");
    }

    @Test
    void anAllowListedVariableIsSentAsTheBearer() {
        announce("trust-env-home", "env:HOME");

        assertEquals("Bearer " + System.getenv("HOME"), callUntilServed("trust-env-home"));
    }

    @Test
    void aSecretKeyIsReadFromTheKubernetesApiAndSentAsTheBearer() {
        announce("trust-secret", "secret:team-a/llama-key/api-key");

        // the Secret is read in the background once the model appears: within a few calls it is sent
        await().atMost(Duration.ofSeconds(15)).until(() -> ("Bearer " + SECRET_KEY).equals(callUntilServed(
                "trust-secret")));
        assertFalse(secretReads.get() == 0);
    }

    @Test
    void aMalformedOrUnqualifiedReferenceSendsNothing() {
        announce("trust-unqualified", "secret:llama-key/api-key");
        assertKeyUnavailable("trust-unqualified");
        announce("trust-raw-key", "sk-pasted-instead-of-a-reference");
        assertKeyUnavailable("trust-raw-key");
    }

    @Test
    void aMissingSecretKeyOrVariableAnswers503AndTheUpstreamIsNotCalled() {
        announce("trust-no-secret", "secret:team-a/absent/api-key"); // the API answers 404
        announce("trust-no-key", "secret:team-a/llama-key/other-key"); // the Secret has no such key
        announce("trust-unset-env", "env:PARLEY_TEST_UNSET_KEY"); // allowed, not set

        for (String model : new String[] { "trust-no-secret", "trust-no-key", "trust-unset-env" }) {
            assertKeyUnavailable(model);
        }
        // the Secrets were asked for (and will be again after the TTL), not on every call
        await().atMost(Duration.ofSeconds(15)).until(() -> secretReads.get() > 0);
    }

    @Test
    void theProxysModelListShowsNoUpstreamUrlOrCredentialReference() {
        announce("trust-listed", "env:HOME");
        await().atMost(Duration.ofSeconds(15)).until(() -> given().header("Authorization", USER).get("/v1/models")
                .then().statusCode(200).extract().asString().contains("trust-listed"));
        for (String token : new String[] { USER, ADMIN }) {
            String body = given().header("Authorization", token).get("/v1/models").then().statusCode(200).extract()
                    .asString();
            assertFalse(body.contains(FakeServices.upstreamUrl().substring("http://".length())), body);
            assertFalse(body.contains("env:HOME"), body);
            assertFalse(body.contains("credential"), body);
        }
    }

    // --- helpers

    private static void announce(String name, String credentialRef) {
        JsonObject model = FakeServices.model(name, "Ready", null, FakeServices.upstreamUrl());
        JsonArray endpoints = model.getJsonArray("endpoints");
        endpoints.getJsonObject(0).put("credential_ref", credentialRef);
        FakeServices.announce(model);
    }

    /**
     * Calls {@code model} once it is announced: 503 {@code upstream_credential_unavailable}, in OpenAI's shape and
     * naming no reference or variable, and the upstream never reached.
     */
    private static void assertKeyUnavailable(String model) {
        String[] seen = new String[2];
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            seen[0] = UUID.randomUUID().toString();
            seen[1] = given().header("Authorization", USER).header("X-Correlation-Id", seen[0])
                    .contentType("application/json").body(ChatCompletionsStreamingTest.chat(model, false).encode())
                    .post("/v1/chat/completions").then().extract().asString();
            return seen[1].contains("upstream_credential_unavailable");
        });
        String correlation = seen[0];
        var response = given().header("Authorization", USER).header("X-Correlation-Id", correlation)
                .contentType("application/json").body(ChatCompletionsStreamingTest.chat(model, false).encode())
                .post("/v1/chat/completions").then().statusCode(503).extract();
        JsonObject error = new JsonObject(response.asString()).getJsonObject("error");
        assertEquals("upstream_credential_unavailable", error.getString("code"), response.asString());
        assertEquals("service_unavailable_error", error.getString("type"));
        for (String hidden : new String[] { "PATH", "PARLEY_TEST_UNSET_KEY", "llama-key", "absent", "sk-pasted",
                System.getenv("PATH") }) {
            assertFalse(response.asString().contains(hidden), response.asString());
        }
        assertFalse(FakeServices.upstreamCorrelations.contains(correlation), "the upstream was called without a key");
    }

    /** Calls {@code model} until the proxy serves it; answers the Authorization header the upstream got. */
    private static String callUntilServed(String model) {
        String[] seen = new String[1];
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            String correlation = UUID.randomUUID().toString();
            int status = given().header("Authorization", USER).header("X-Correlation-Id", correlation)
                    .contentType("application/json")
                    .body(ChatCompletionsStreamingTest.chat(model, false).encode()).post("/v1/chat/completions")
                    .then().extract().statusCode();
            seen[0] = FakeServices.upstreamAuthorizations.get(correlation);
            return status == 200 && seen[0] != null;
        });
        return seen[0];
    }
}
