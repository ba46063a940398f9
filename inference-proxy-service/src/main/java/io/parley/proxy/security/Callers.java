package io.parley.proxy.security;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.proxy.keys.IdentityClaims;
import io.quarkus.logging.Log;
import io.vertx.core.Vertx;

/**
 * The caller of a request on the event loop ({@link Caller#of}); the first time this process sees a signed-in
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

    public Caller of(io.quarkus.security.identity.SecurityIdentity identity) {
        Caller caller = Caller.of(identity);
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
