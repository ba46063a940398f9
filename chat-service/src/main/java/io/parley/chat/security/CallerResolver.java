package io.parley.chat.security;

import jakarta.enterprise.context.RequestScoped;

import io.parley.chat.service.Caller;
import io.quarkus.oidc.AccessTokenCredential;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * The caller of the current request, with the access token captured now (while the request is alive): for a bearer
 * call the bearer itself, for a browser session the code flow's access token.
 */
@RequestScoped
public class CallerResolver {

    private final SecurityIdentity identity;

    public CallerResolver(SecurityIdentity identity) {
        this.identity = identity;
    }

    public Caller caller() {
        if (identity.isAnonymous()) {
            throw new UnauthorizedException();
        }
        AccessTokenCredential token = identity.getCredential(AccessTokenCredential.class);
        if (token == null || token.getToken() == null) {
            throw new UnauthorizedException("no access token for the session");
        }
        return new Caller(identity.getPrincipal().getName(), token.getToken());
    }
}
