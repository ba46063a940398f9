package io.parley.usage.rest;

import java.util.Optional;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

import io.parley.usage.model.UsageFilter;
import io.parley.usage.service.QueryService;

/** Everyone's usage, for admins: filtered keyset pages as JSON, or the whole filtered view as CSV. */
@Path("/admin/usage")
@RolesAllowed("admin")
public class AdminUsageResource {

    private final QueryService query;

    public AdminUsageResource(QueryService query) {
        this.query = query;
    }

    @GET
    @Produces({ MediaType.APPLICATION_JSON, CsvSupport.TEXT_CSV })
    public Response list(@BeanParam UsageQuery params, @Context HttpHeaders headers) {
        UsageFilter filter = params.filter();
        if (CsvSupport.wantsCsv(params.format, headers)) {
            StreamingOutput body = out -> query.exportCsv(filter, out);
            return Response.ok(body, CsvSupport.TEXT_CSV + "; charset=UTF-8")
                    .header("Content-Disposition", "attachment; filename=\"usage.csv\"")
                    .build();
        }
        return Response.ok(query.page(filter, Optional.ofNullable(params.cursor), Optional.ofNullable(params.limit)),
                MediaType.APPLICATION_JSON_TYPE).build();
    }
}
