package io.parley.proxy.security;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.parley.proxy.keys.IdentityClaims;
import io.parley.proxy.service.Caller;
import io.quarkus.logging.Log;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.vertx.core.Vertx;

/**
 * The caller of a request on the event loop ({@link #callerOf}); the first time this process sees a signed-in
 * (subject, name) pair it records the claim off the event loop, without delaying the call, so legacy keys of that name
 * follow their owner's subject (ADR 0011).
 */
@ApplicationScoped
public class Callers {

    private final IdentityClaims claims;
    private final Vertx vertx;

    Callers(IdentityClaims claims, Vertx vertx) {
        this.claims = claims;
        this.vertx = vertx;
    }

    /** Identity attribute carrying an API key owner's subject (absent for an unclaimed legacy key). */
    public static final String API_KEY_SUBJECT = "parley.api_key_subject";

    /** The caller of an authenticated identity; an OIDC token without {@code sub} is refused. */
    public static Caller callerOf(SecurityIdentity identity) {
        String name = identity.getPrincipal().getName();
        if (identity.getAttribute(ApiKeyIdentityProvider.API_KEY_ID) != null) {
            String subject = identity.getAttribute(API_KEY_SUBJECT);
            return subject == null ? new Caller("name:" + name, name, false) : new Caller(subject, name, true);
        }
        String subject = identity.getPrincipal() instanceof JsonWebToken jwt ? jwt.getSubject() : null;
        if (subject == null || subject.isBlank()) {
            throw new UnauthorizedException("the token has no subject (sub)");
        }
        return new Caller(subject, name == null || name.isBlank() ? subject : name, true);
    }

    public Caller of(SecurityIdentity identity) {
        Caller caller = callerOf(identity);
        if (identity.getAttribute(ApiKeyIdentityProvider.API_KEY_ID) == null
                && !claims.seen(caller.subject(), caller.name())) {
            vertx.executeBlocking(() -> {
                claims.claim(caller.subject(), caller.name());
                return null;
            }, false).onFailure(e -> Log.debugf("identity claim of %s deferred: %s", caller.name(), e.getMessage()));
        }
        return caller;
    }
}
