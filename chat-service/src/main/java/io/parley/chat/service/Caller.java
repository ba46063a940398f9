package io.parley.chat.service;

/**
 * Who is calling: {@code subject} is the token's stable {@code sub}, the only key of what the caller owns (ADR 0011);
 * {@code name} is Keycloak's {@code preferred_username}, for display, logs and metadata only (a user name can be given
 * to someone else after its user is deleted). The access token is captured at request time (the bearer itself, or the
 * code flow's access token for a browser session) and passed on to the proxy and the registry so calls are attributed
 * to the user; it is never logged.
 */
public record Caller(String subject, String name, String accessToken) {

    @Override
    public String toString() {
        return "Caller[" + name + "]";
    }
}
