package io.parley.proxy.rest;

import java.util.List;
import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.parley.proxy.keys.ApiKeyService;
import io.parley.proxy.keys.IdentityClaims;
import io.parley.proxy.security.ApiKeyIdentityProvider;
import io.parley.proxy.security.Callers;
import io.parley.proxy.security.ServiceAccounts;
import io.parley.proxy.service.Caller;
import io.parley.proxy.service.ServiceError;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.common.annotation.Blocking;

/**
 * {@code /v1/keys}: a caller's own Parley API keys. Creation shows the secret once; listings are masked; revocation is
 * immediate. Only a signed-in user (OIDC) manages keys: neither a key nor a service account can mint or revoke keys.
 */
@Path("/v1/keys")
@Authenticated
@Blocking
@Produces(MediaType.APPLICATION_JSON)
public class KeysResource {

    public record CreateKey(String name) {
    }

    public record KeyList(List<ApiKeyService.KeyView> data) {
    }

    private final ApiKeyService keys;
    private final SecurityIdentity identity;
    private final IdentityClaims claims;

    KeysResource(ApiKeyService keys, SecurityIdentity identity, IdentityClaims claims) {
        this.keys = keys;
        this.identity = identity;
        this.claims = claims;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(CreateKey request) throws Exception {
        String name = request == null ? null : request.name();
        if (name != null && name.length() > 255) {
            throw ServiceError.badRequest("name is longer than 255 characters", "name", null);
        }
        if (name != null && name.indexOf('\0') >= 0) {
            // PostgreSQL text cannot hold it: a 400 naming the field, not a 500
            throw ServiceError.badRequest("name holds a NUL character (U+0000), which Parley does not accept", "name",
                    "invalid_text");
        }
        return Response.status(201).entity(keys.create(owner(), name)).build();
    }

    @GET
    public KeyList list() throws Exception {
        return new KeyList(keys.list(owner()));
    }

    @DELETE
    @Path("/{id}")
    public Map<String, Object> revoke(@PathParam("id") String id) throws Exception {
        if (!keys.revoke(owner(), id)) {
            throw ServiceError.notFound("api key '" + id + "' not found", "key_not_found");
        }
        return Map.of("id", id, "revoked", true);
    }

    private Caller owner() throws Exception {
        if (identity.getAttribute(ApiKeyIdentityProvider.API_KEY_ID) != null) {
            throw ServiceError.forbidden("API keys are managed with a user's sign-in, not with an API key");
        }
        if (ServiceAccounts.isServiceAccount(identity)) {
            // a key is a person's: a service account (client credentials) would mint keys nobody signs in for
            throw ServiceError.forbidden("API keys are managed with a user's sign-in, not with a service account");
        }
        Caller caller = Callers.callerOf(identity);
        claims.claim(caller.subject(), caller.name());
        return caller;
    }
}
