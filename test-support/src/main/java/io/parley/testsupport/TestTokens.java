package io.parley.testsupport;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.smallrye.jwt.build.Jwt;

/**
 * Mints RS256 access tokens shaped like Keycloak's (realm roles under {@code realm_access.roles}, the user name in
 * {@code preferred_username}, the stable subject in {@code sub}: {@code sub-<username>} unless given) and signed with the test
 * key pair in {@code parley-test/}. A service verifies them in its
 * test profile with {@code quarkus.oidc.public-key} set to {@link #PUBLIC_KEY}.
 *
 * <p>
 * Test-only: the private key is public knowledge and must never be trusted outside tests.
 */
public final class TestTokens {

    /** The issuer every test token carries. */
    public static final String ISSUER = "https://parley.test/realms/parley";

    /**
     * The audience every test token carries, as the realm's audience mapper puts it in every token of a Parley client
     * ({@code config/keycloak/parley-realm.json}); a service accepts only tokens for it ({@code quarkus.oidc.token.audience}).
     */
    public static final String AUDIENCE = "parley";

    /** The public half of the test key pair, as {@code quarkus.oidc.public-key} takes it. */
    public static final String PUBLIC_KEY = readPublicKey();

    private TestTokens() {
    }

    /** A token for a person with the given realm roles (for example {@code "user"} or {@code "user", "admin"}). */
    public static String user(String username, String... roles) {
        return token(username, Set.of(roles), Map.of());
    }

    /**
     * A token for a person whose subject is not derived from the user name: a user deleted and recreated in Keycloak
     * with the same user name gets a new {@code sub} (ADR 0011).
     */
    public static String person(String subject, String username, String... roles) {
        return token(username, Set.of(roles), Map.of("sub", subject));
    }

    /** The subject {@link #user} puts in a token for {@code username}. */
    public static String subjectOf(String username) {
        return "sub-" + username;
    }

    /** A token for a service account, as Keycloak issues for the client credentials grant. */
    public static String service(String clientId, String... roles) {
        return token("service-account-" + clientId, Set.of(roles), Map.of("azp", clientId, "client_id", clientId));
    }

    /** A token with arbitrary extra claims (an {@code aud} among them replaces {@link #AUDIENCE}). */
    public static String token(String username, Set<String> roles, Map<String, Object> extraClaims) {
        var builder = Jwt.issuer(ISSUER)
                .subject(subjectOf(username))
                .claim("preferred_username", username)
                .claim("realm_access", Map.of("roles", List.copyOf(roles)))
                .groups(roles)
                .audience(AUDIENCE)
                .expiresIn(Duration.ofHours(1));
        extraClaims.forEach(builder::claim);
        return builder.jws().keyId("parley-test").sign(privateKey());
    }

    private static java.security.PrivateKey privateKey() {
        try (var in = TestTokens.class.getResourceAsStream("/parley-test/private-key.pem")) {
            String pem = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            var spec = new java.security.spec.PKCS8EncodedKeySpec(java.util.Base64.getDecoder().decode(body));
            return java.security.KeyFactory.getInstance("RSA").generatePrivate(spec);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the test private key", e);
        }
    }

    private static String readPublicKey() {
        try (var in = TestTokens.class.getResourceAsStream("/parley-test/public-key.pem")) {
            String pem = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            return pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the test public key", e);
        }
    }
}
