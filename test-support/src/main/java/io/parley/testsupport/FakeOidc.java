package io.parley.testsupport;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A loopback OpenID provider shaped like a Keycloak realm: discovery
 * ({@code /realms/parley/.well-known/openid-configuration}), the signing keys of {@link TestTokens} as a JWKS and a
 * token introspection endpoint that counts its calls and answers {@code {"active":false}} (RFC 7662 §2.2). Points the
 * service's {@code quarkus.oidc.auth-server-url} at itself, in place of {@code quarkus.oidc.public-key}.
 */
public class FakeOidc implements QuarkusTestResourceLifecycleManager {

    /** Calls to the introspection endpoint since start. */
    public static final AtomicInteger introspections = new AtomicInteger();
    /** Reads of the signing keys since start: the service verifies tokens with this provider's keys. */
    public static final AtomicInteger keyReads = new AtomicInteger();

    private Vertx vertx;
    private HttpServer server;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(req -> {
            String realm = "http://127.0.0.1:" + server.actualPort() + "/realms/parley";
            String path = req.path();
            if (path.endsWith("/.well-known/openid-configuration")) {
                json(req.response(), new JsonObject().put("issuer", TestTokens.ISSUER)
                        .put("authorization_endpoint", realm + "/protocol/openid-connect/auth")
                        .put("token_endpoint", realm + "/protocol/openid-connect/token")
                        .put("introspection_endpoint", realm + "/protocol/openid-connect/token/introspect")
                        .put("jwks_uri", realm + "/protocol/openid-connect/certs")
                        .put("id_token_signing_alg_values_supported", new JsonArray().add("RS256")));
            } else if (path.endsWith("/protocol/openid-connect/certs")) {
                keyReads.incrementAndGet();
                json(req.response(), new JsonObject().put("keys", new JsonArray().add(jwk())));
            } else if (path.endsWith("/protocol/openid-connect/token/introspect")) {
                introspections.incrementAndGet();
                json(req.response(), new JsonObject().put("active", false));
            } else {
                req.response().setStatusCode(404).end();
            }
        });
        try {
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the fake OpenID provider did not start", e);
        }
        return Map.of("quarkus.oidc.auth-server-url", "http://127.0.0.1:" + server.actualPort() + "/realms/parley",
                "quarkus.oidc.public-key", "", "quarkus.oidc.discovery-enabled", "true");
    }

    private static void json(io.vertx.core.http.HttpServerResponse response, JsonObject body) {
        response.putHeader("Content-Type", "application/json").end(body.encode());
    }

    /** The public test key as a JWK (RFC 7517 §4, RFC 7518 §6.3.1). */
    private static JsonObject jwk() {
        try {
            RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA")
                    .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(TestTokens.PUBLIC_KEY)));
            return new JsonObject().put("kty", "RSA").put("kid", "parley-test").put("use", "sig").put("alg", "RS256")
                    .put("n", unsigned(key.getModulus())).put("e", unsigned(key.getPublicExponent()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String unsigned(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close();
        }
    }
}
