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

/**
 * Everyone's usage, for admins: filtered keyset pages and summaries as JSON, or any filtered view as CSV
 * ({@code format=csv} or {@code Accept: text/csv}).
 */
@Path("/admin/usage")
@RolesAllowed("admin")
@Produces({ MediaType.APPLICATION_JSON, CsvSupport.TEXT_CSV })
public class AdminUsageResource {

    private final UsageResponses responses;

    public AdminUsageResource(UsageResponses responses) {
        this.responses = responses;
    }

    @GET
    public Response list(@BeanParam UsageQuery params, @Context HttpHeaders headers) {
        return responses.records(params.filter(), params, headers, "usage.csv");
    }

    @GET
    @Path("/summary")
    public Response summary(@BeanParam UsageQuery params, @Context HttpHeaders headers) {
        return responses.summary(params.filter(), params, headers, "usage-summary.csv");
    }
}
