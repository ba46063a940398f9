package io.parley.chat.usage;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;

import io.parley.chat.security.CallerResolver;
import io.parley.chat.usage.UsageClient.View;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * The usage page's data, relayed to usage-service with the caller's token. An admin sees everyone (and may filter by
 * {@code user}); anyone else sees only their own calls: the request goes to usage-service's {@code /v1/usage/me}
 * views and a {@code user} parameter is dropped. {@code format=csv} (or {@code Accept: text/csv}) downloads the view
 * as CSV.
 */
@Path("/v1/usage")
@Authenticated
@Produces({ MediaType.APPLICATION_JSON, "text/csv" })
public class UsageResource {

    /** The query parameters usage-service understands; anything else is not forwarded. */
    private static final List<String> FORWARDED = List.of("user", "model", "source", "status", "correlation_id",
            "from", "to", "limit", "cursor", "group_by");
    private static final Set<String> ADMIN_ONLY = Set.of("user");

    private final UsageClient usage;
    private final CallerResolver callers;
    private final SecurityIdentity identity;

    public UsageResource(UsageClient usage, CallerResolver callers, SecurityIdentity identity) {
        this.usage = usage;
        this.callers = callers;
        this.identity = identity;
    }

    @GET
    @Path("/summary")
    public Response summary(@Context UriInfo uri, @Context jakarta.ws.rs.core.HttpHeaders headers) {
        return relay(View.SUMMARY, uri, headers, "usage-summary.csv");
    }

    @GET
    @Path("/records")
    public Response records(@Context UriInfo uri, @Context jakarta.ws.rs.core.HttpHeaders headers) {
        return relay(View.RECORDS, uri, headers, "usage.csv");
    }

    /** Who the page is for: the user and whether the views cover everyone. */
    @GET
    @Path("/scope")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> scope() {
        String user = callers.caller().name();
        boolean admin = identity.hasRole("admin");
        return Map.of("user", user, "admin", admin, "scope", admin ? "all" : "own");
    }

    private Response relay(View view, UriInfo uri, jakarta.ws.rs.core.HttpHeaders headers, String filename) {
        String token = callers.caller().accessToken();
        boolean admin = identity.hasRole("admin");
        Map<String, String> query = new LinkedHashMap<>();
        for (String name : FORWARDED) {
            String value = uri.getQueryParameters().getFirst(name);
            if (value != null && !value.isBlank() && (admin || !ADMIN_ONLY.contains(name))) {
                query.put(name, value);
            }
        }
        boolean csv = "csv".equalsIgnoreCase(uri.getQueryParameters().getFirst("format"))
                || headers.getAcceptableMediaTypes().stream().anyMatch(m -> "csv".equalsIgnoreCase(m.getSubtype()));
        if (csv) {
            query.put("format", "csv");
        }
        UsageClient.Relayed r = usage.fetch(view, admin, query, csv, token);
        Response.ResponseBuilder out = Response.status(r.status()).entity(r.body());
        if (csv && r.status() == 200) {
            out.type("text/csv; charset=UTF-8").header("Content-Disposition",
                    "attachment; filename=\"" + (admin ? "" : "my-") + filename + "\"");
        } else {
            out.type(MediaType.APPLICATION_JSON);
        }
        return out.build();
    }
}
