package io.parley.proxy.security;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.proxy.keys.ApiKeyService;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Answers a bearer JWT that OIDC verified before from {@link VerifiedTokenCache}; declines anything else (a token not
 * seen yet or expired, a Parley API key, no token), which then goes to the API key mechanism or to OIDC as before.
 */
@ApplicationScoped
public class CachedBearerAuthenticationMechanism implements HttpAuthenticationMechanism {

    private final VerifiedTokenCache cache;

    CachedBearerAuthenticationMechanism(VerifiedTokenCache cache) {
        this.cache = cache;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        String authorization = context.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (authorization == null || authorization.length() <= 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Uni.createFrom().nullItem();
        }
        String token = authorization.substring(7).trim();
        if (token.isEmpty() || token.startsWith(ApiKeyService.SECRET_PREFIX)) {
            return Uni.createFrom().nullItem();
        }
        return Uni.createFrom().item(cache.lookup(token, context));
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().nullItem(); // OIDC's challenge applies
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(TokenAuthenticationRequest.class);
    }

    @Override
    public int getPriority() {
        return 1500; // after the API key mechanism (2000), before OIDC (1001)
    }
}
