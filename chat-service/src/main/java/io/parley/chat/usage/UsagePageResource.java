package io.parley.chat.usage;

import java.net.URI;

import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;

/**
 * {@code /usage} is the usage page: the Web Bundler renders {@code web/usage.html} at {@code /usage.html}.
 * The page paths are protected by the HTTP permission {@code usage-page} (login redirect), this only adds the short
 * address.
 */
@Path("/usage")
public class UsagePageResource {

    @GET
    @PermitAll
    public Response page() {
        return Response.seeOther(URI.create("/usage.html")).build();
    }
}
