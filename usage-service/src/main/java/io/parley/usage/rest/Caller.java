package io.parley.usage.rest;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * Who is calling, the one way usage-service reads it (ADR 0011): {@code subject} is the token's stable {@code sub},
 * the key of the caller's own usage; {@code name} is {@code preferred_username}, for display only.
 */
public record Caller(String subject, String name) {

    /** The caller of an authenticated identity; a token without {@code sub} is refused. */
    public static Caller of(SecurityIdentity identity) {
        String name = identity.getPrincipal().getName();
        String subject = identity.getPrincipal() instanceof JsonWebToken jwt ? jwt.getSubject() : null;
        if (subject == null || subject.isBlank()) {
            throw new UnauthorizedException("the token has no subject (sub)");
        }
        return new Caller(subject, name == null || name.isBlank() ? subject : name);
    }
}
