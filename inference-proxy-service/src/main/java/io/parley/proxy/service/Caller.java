package io.parley.proxy.service;

import java.util.Optional;

/**
 * Who is calling, the one way the proxy reads it (ADR 0011): {@code subject} is the token's stable {@code sub} (for a
 * Parley API key, its owner's), the key of what the caller owns and is limited by; {@code name} is
 * {@code preferred_username}, for display, logs and usage only. A user name can be given to someone else after its
 * user is deleted; a subject never is.
 *
 * <p>
 * {@code subjectKnown} is false only for an API key created before keys were keyed by subject whose owner has not
 * been seen since: its subject is then {@code name:<owner>}, and its usage goes out without {@code user_sub} (as an
 * older proxy's would). Read from a signed-in identity by {@code security.Callers}.
 */
public record Caller(String subject, String name, boolean subjectKnown) {

    /** The subject usage records carry: empty for an unclaimed legacy API key. */
    public Optional<String> recordedSubject() {
        return subjectKnown ? Optional.of(subject) : Optional.empty();
    }

    @Override
    public String toString() {
        return "Caller[" + name + "]";
    }
}
