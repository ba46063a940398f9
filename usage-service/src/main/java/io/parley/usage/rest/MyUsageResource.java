package io.parley.usage.rest;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.quarkus.security.identity.SecurityIdentity;

/**
 * The caller's own usage: the same views as the admin API, always restricted to the caller's principal name (a
 * {@code user} parameter is ignored). Only people ({@code user} or {@code admin} role) may ask; a service holding only
 * {@code usage-writer} is refused with 403.
 */
@Path("/v1/usage/me")
@RolesAllowed({ "user", "admin" })
@Produces({ MediaType.APPLICATION_JSON, CsvSupport.TEXT_CSV })
public class MyUsageResource {

    private final UsageResponses responses;
    private final SecurityIdentity identity;

    public MyUsageResource(UsageResponses responses, SecurityIdentity identity) {
        this.responses = responses;
        this.identity = identity;
    }

    @GET
    public Response list(@BeanParam UsageQuery params, @Context HttpHeaders headers) {
        return responses.records(params.filter().forUser(caller()), params, headers, "my-usage.csv");
    }

    @GET
    @Path("/summary")
    public Response summary(@BeanParam UsageQuery params, @Context HttpHeaders headers) {
        return responses.summary(params.filter().forUser(caller()), params, headers, "my-usage-summary.csv");
    }

    private String caller() {
        return identity.getPrincipal().getName();
    }
}
