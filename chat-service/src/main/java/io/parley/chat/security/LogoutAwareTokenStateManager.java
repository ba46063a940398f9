package io.parley.chat.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.chat.repository.DatabaseUnavailableException;
import io.parley.chat.repository.LoggedOutSessions;
import io.quarkus.logging.Log;
import io.quarkus.oidc.AuthorizationCodeTokens;
import io.quarkus.oidc.OidcRequestContext;
import io.quarkus.oidc.OidcTenantConfig;
import io.quarkus.oidc.TokenStateManager;
import io.quarkus.oidc.runtime.DefaultTokenStateManager;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.security.AuthenticationFailedException;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * The browser session's tokens stay in the (encrypted) session cookies of Quarkus' {@link DefaultTokenStateManager},
 * but a session ended by "Log out" ({@code quarkus.oidc.logout.path}, RP-initiated logout at Keycloak) is recorded in
 * {@code chat_logged_out_sessions}, so a copy of its old cookie is refused afterwards on every replica (a login
 * redirect for a page, 401 for the API) instead of working until its ID token expires. The session is named by the
 * ID token's {@code sid} (Keycloak's session, the same across token refreshes), else by the ID token's SHA-256; the
 * table never holds a token. Only a logout records it: Quarkus also drops the cookie state when it refreshes the
 * tokens, which must not end the session.
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class LogoutAwareTokenStateManager implements TokenStateManager {

    /** Kept after the ID token's expiry: a refreshed session lives on with the same {@code sid}. */
    static final Duration KEEP_AFTER_EXPIRY = Duration.ofDays(1);

    private final DefaultTokenStateManager delegate;
    private final LoggedOutSessions loggedOut;
    private final ObjectMapper mapper;

    public LogoutAwareTokenStateManager(DefaultTokenStateManager delegate, LoggedOutSessions loggedOut,
            ObjectMapper mapper) {
        this.delegate = delegate;
        this.loggedOut = loggedOut;
        this.mapper = mapper;
    }

    @Override
    public Uni<String> createTokenState(RoutingContext rc, OidcTenantConfig config, AuthorizationCodeTokens tokens,
            OidcRequestContext<String> context) {
        return delegate.createTokenState(rc, config, tokens, context);
    }

    @Override
    public Uni<AuthorizationCodeTokens> getTokens(RoutingContext rc, OidcTenantConfig config, String state,
            OidcRequestContext<AuthorizationCodeTokens> context) {
        return delegate.getTokens(rc, config, state, context).chain(tokens -> context.runBlocking(() -> {
            if (tokens != null && loggedOut(sessionKey(tokens.getIdToken()))) {
                throw new AuthenticationFailedException("this session was logged out");
            }
            return tokens;
        }));
    }

    /**
     * Whether the session was logged out. While the database is away this cannot be known: the cookie is accepted
     * (failing would make Quarkus drop it, logging every browser out on a database restart), and every route that
     * needs the database answers 503 meanwhile anyway.
     */
    private boolean loggedOut(String key) {
        try {
            return loggedOut.contains(key);
        } catch (DatabaseUnavailableException e) {
            Log.warnf("logged-out sessions not checked, the database is unavailable: %s", e.getMessage());
            return false;
        }
    }

    @Override
    public Uni<Void> deleteTokens(RoutingContext rc, OidcTenantConfig config, String state,
            OidcRequestContext<Void> context) {
        boolean logout = config.logout().path().map(p -> p.equals(rc.normalizedPath())).orElse(false);
        if (!logout) {
            return delegate.deleteTokens(rc, config, state, context);
        }
        // the default manager decrypts its cookies in place: nothing to run elsewhere
        OidcRequestContext<AuthorizationCodeTokens> read = work -> Uni.createFrom().item(work);
        return delegate.getTokens(rc, config, state, read).onFailure().recoverWithNull()
                .chain(tokens -> tokens == null || tokens.getIdToken() == null ? Uni.createFrom().voidItem()
                        : context.runBlocking(() -> {
                            try {
                                loggedOut.add(sessionKey(tokens.getIdToken()), expiry(tokens.getIdToken()));
                                Log.infof("browser session logged out: its cookie is refused from now on");
                            } catch (RuntimeException e) {
                                // the browser's cookies are cleared and Keycloak's session ends all the same
                                Log.warnf("browser session logged out but not recorded (%s): a copy of its cookie "
                                        + "works until its ID token expires", e.getMessage());
                            }
                            return null;
                        }))
                .chain(() -> delegate.deleteTokens(rc, config, state, context));
    }

    /** Forgets logouts whose sessions can no longer be valid. */
    @Scheduled(every = "1h", delayed = "5m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void purge() {
        try {
            loggedOut.purgeExpired();
        } catch (RuntimeException e) {
            Log.debugf("logged-out sessions not purged: %s", e.getMessage());
        }
    }

    /** The ID token's {@code sid}, else its SHA-256 (the claims are read, not verified: only a lookup key). */
    String sessionKey(String idToken) {
        JsonNode claims = claims(idToken);
        if (claims.path("sid").isTextual() && !claims.path("sid").asText().isBlank()) {
            return "sid:" + claims.path("sid").asText();
        }
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(String.valueOf(idToken).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Instant expiry(String idToken) {
        JsonNode exp = claims(idToken).path("exp");
        Instant at = exp.canConvertToLong() ? Instant.ofEpochSecond(exp.asLong()) : Instant.now();
        return (at.isBefore(Instant.now()) ? Instant.now() : at).plus(KEEP_AFTER_EXPIRY);
    }

    private JsonNode claims(String jwt) {
        try {
            String[] parts = String.valueOf(jwt).split("\\.");
            return parts.length < 2 ? mapper.createObjectNode()
                    : mapper.readTree(Base64.getUrlDecoder().decode(parts[1]));
        } catch (Exception e) {
            return mapper.createObjectNode();
        }
    }
}
