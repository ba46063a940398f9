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

import io.parley.usage.service.QueryService;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * The caller's own usage: the same views as the admin API, always restricted to the caller's subject (ADR 0011; a
 * {@code user} parameter is ignored). Only people ({@code user} or {@code admin} role) may ask; a service holding only
 * {@code usage-writer} is refused with 403.
 */
@Path("/v1/usage/me")
@RolesAllowed({ "user", "admin" })
@Produces({ MediaType.APPLICATION_JSON, CsvSupport.TEXT_CSV })
public class MyUsageResource {

    private final UsageResponses responses;
    private final SecurityIdentity identity;
    private final QueryService queries;

    public MyUsageResource(UsageResponses responses, SecurityIdentity identity, QueryService queries) {
        this.responses = responses;
        this.identity = identity;
        this.queries = queries;
    }

    @GET
    public Response list(@BeanParam UsageQuery params, @Context HttpHeaders headers) {
        return responses.records(params.filter().forSubject(caller()), params, headers, "my-usage.csv");
    }

    @GET
    @Path("/summary")
    public Response summary(@BeanParam UsageQuery params, @Context HttpHeaders headers) {
        return responses.summary(params.filter().forSubject(caller()), params, headers, "my-usage-summary.csv");
    }

    private String caller() {
        Caller caller = Caller.of(identity);
        queries.claimOwnUsage(caller.subject(), caller.name());
        return caller.subject();
    }
}
