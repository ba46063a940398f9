package io.parley.proxy.security;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.proxy.keys.ApiKeyService;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Parley API keys as an alternative to OIDC bearer tokens: {@code Authorization: Bearer prl_...} (OpenAI SDKs) or
 * {@code x-api-key: prl_...} (Anthropic SDKs). Runs before the OIDC mechanism and declines anything that is not a Parley
 * key, so JWTs still go to OIDC.
 */
@ApplicationScoped
public class ApiKeyAuthenticationMechanism implements HttpAuthenticationMechanism {

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        String secret = presentedKey(context);
        if (secret == null) {
            return Uni.createFrom().nullItem();
        }
        return identityProviderManager.authenticate(new ApiKeyAuthenticationRequest(secret));
    }

    static String presentedKey(RoutingContext context) {
        String authorization = context.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = authorization.substring(7).trim();
            if (token.startsWith(ApiKeyService.SECRET_PREFIX)) {
                return token;
            }
        }
        String apiKey = context.request().getHeader("x-api-key");
        if (apiKey != null && apiKey.trim().startsWith(ApiKeyService.SECRET_PREFIX)) {
            return apiKey.trim();
        }
        return null;
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate", "Bearer"));
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(ApiKeyAuthenticationRequest.class);
    }

    @Override
    public int getPriority() {
        return 2000; // before OIDC (1001), which would reject a non-JWT bearer token
    }
}
