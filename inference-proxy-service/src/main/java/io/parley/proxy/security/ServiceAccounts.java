package io.parley.proxy.security;

import org.eclipse.microprofile.jwt.JsonWebToken;

import io.quarkus.security.identity.SecurityIdentity;

/**
 * Whether a caller is a service account (a client-credentials token) rather than a person. Keycloak marks such a
 * token with the {@code client_id} claim (older releases: {@code clientId}) of its client, from the
 * {@code service_account} client scope, and names its user {@code service-account-<client id>}.
 */
public final class ServiceAccounts {

    static final String USERNAME_PREFIX = "service-account-";

    private ServiceAccounts() {
    }

    public static boolean isServiceAccount(SecurityIdentity identity) {
        if (!(identity.getPrincipal() instanceof JsonWebToken token)) {
            return false;
        }
        if (token.containsClaim("client_id") || token.containsClaim("clientId")) {
            return true;
        }
        String username = token.getClaim("preferred_username");
        return username != null && username.startsWith(USERNAME_PREFIX);
    }
}
