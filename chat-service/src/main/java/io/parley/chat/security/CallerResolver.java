package io.parley.chat.security;

import jakarta.enterprise.context.RequestScoped;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.parley.chat.service.Caller;
import io.quarkus.oidc.AccessTokenCredential;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * The caller of the current request, with the access token captured now (while the request is alive): for a bearer
 * call the bearer itself, for a browser session the code flow's access token. The one place chat-service reads who is
 * calling: {@link Caller#subject()} (the token's {@code sub}) keys what the caller owns, {@link Caller#name()}
 * ({@code preferred_username}) is for display (ADR 0011).
 */
@RequestScoped
public class CallerResolver {

    private final SecurityIdentity identity;
    private final IdentityClaims claims;

    public CallerResolver(SecurityIdentity identity, IdentityClaims claims) {
        this.identity = identity;
        this.claims = claims;
    }

    /** The caller; blocking the first time a (subject, name) pair is seen by this process (ADR 0011). */
    public Caller caller() {
        if (identity.isAnonymous()) {
            throw new UnauthorizedException();
        }
        AccessTokenCredential token = identity.getCredential(AccessTokenCredential.class);
        if (token == null || token.getToken() == null) {
            throw new UnauthorizedException("no access token for the session");
        }
        Caller caller = of(identity, token.getToken());
        claims.claim(caller.subject(), caller.name());
        return caller;
    }

    /**
     * The subject and display name of an authenticated identity, without claiming: the subject is the token's
     * {@code sub}; an identity without one (no JWT, or a token missing the claim) is refused, never keyed by name.
     */
    public static Caller of(SecurityIdentity identity, String accessToken) {
        String name = identity.getPrincipal().getName();
        String subject = identity.getPrincipal() instanceof JsonWebToken jwt ? jwt.getSubject() : null;
        if (subject == null || subject.isBlank()) {
            throw new UnauthorizedException("the token has no subject (sub)");
        }
        return new Caller(subject, name == null || name.isBlank() ? subject : name, accessToken);
    }
}
