package io.parley.proxy.security;

import java.util.Optional;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * Who is calling, the one way the proxy reads it (ADR 0011): {@code subject} is the token's stable {@code sub} (for a
 * Parley API key, its owner's), the key of what the caller owns and is limited by; {@code name} is
 * {@code preferred_username}, for display, logs and usage only. A user name can be given to someone else after its
 * user is deleted; a subject never is.
 *
 * <p>
 * {@code subjectKnown} is false only for an API key created before keys were keyed by subject whose owner has not
 * been seen since: its subject is then {@code name:<owner>}, and its usage goes out without {@code user_sub} (as an
 * older proxy's would).
 */
public record Caller(String subject, String name, boolean subjectKnown) {

    /** Identity attribute carrying an API key owner's subject (absent for an unclaimed legacy key). */
    public static final String API_KEY_SUBJECT = "parley.api_key_subject";

    /** The caller of an authenticated identity; an OIDC token without {@code sub} is refused. */
    public static Caller of(SecurityIdentity identity) {
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

    /** The subject usage records carry: empty for an unclaimed legacy API key. */
    public Optional<String> recordedSubject() {
        return subjectKnown ? Optional.of(subject) : Optional.empty();
    }

    @Override
    public String toString() {
        return "Caller[" + name + "]";
    }
}
