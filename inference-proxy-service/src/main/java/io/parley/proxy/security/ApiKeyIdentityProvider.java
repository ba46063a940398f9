package io.parley.proxy.security;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.proxy.keys.ApiKeyRepository;
import io.parley.proxy.keys.ApiKeyService;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;

/**
 * Verifies a Parley API key: from the replica's cache of keys verified lately, on the event loop, or else against the
 * database (off the event loop); the identity is the key's owner.
 */
@ApplicationScoped
public class ApiKeyIdentityProvider implements IdentityProvider<ApiKeyAuthenticationRequest> {

    /** Identity attribute carrying the key id, recorded as {@code api_key_id} in usage. */
    public static final String API_KEY_ID = "parley.api_key_id";

    private final ApiKeyService keys;

    ApiKeyIdentityProvider(ApiKeyService keys) {
        this.keys = keys;
    }

    @Override
    public Class<ApiKeyAuthenticationRequest> getRequestType() {
        return ApiKeyAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(ApiKeyAuthenticationRequest request, AuthenticationRequestContext context) {
        String digest = ApiKeyService.digest(request.secret()).orElse(null);
        if (digest == null) {
            return Uni.createFrom().failure(new AuthenticationFailedException("unknown or revoked api key"));
        }
        ApiKeyRepository.Row cached = keys.cached(digest).orElse(null);
        if (cached != null) {
            return Uni.createFrom().item(identity(cached));
        }
        return context.runBlocking(() -> {
            ApiKeyRepository.Row key;
            try {
                key = keys.verifyDigest(digest).orElse(null);
            } catch (Exception e) {
                throw new AuthenticationFailedException("api key check failed", e);
            }
            if (key == null) {
                throw new AuthenticationFailedException("unknown or revoked api key");
            }
            return identity(key);
        });
    }

    private static SecurityIdentity identity(ApiKeyRepository.Row key) {
        var identity = QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(key.owner()))
                .addRole("user")
                .addAttribute(API_KEY_ID, key.id());
        if (key.ownerSub() != null) {
            identity.addAttribute(Callers.API_KEY_SUBJECT, key.ownerSub());
        }
        return identity.build();
    }
}
