package io.parley.chat.service;

/**
 * Who is calling: the user (principal name, Keycloak's preferred_username) and the access token captured at request
 * time (the bearer itself, or the code flow's access token for a browser session). The token is passed on to the
 * proxy and the registry so calls are attributed to the user; it is never logged.
 */
public record Caller(String user, String accessToken) {

    @Override
    public String toString() {
        return "Caller[" + user + "]";
    }
}
