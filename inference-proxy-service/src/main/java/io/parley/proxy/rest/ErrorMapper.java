package io.parley.proxy.rest;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.quarkus.logging.Log;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;

/** The one mapper of the REST endpoints: every error becomes OpenAI-shaped JSON with its status. */
public class ErrorMapper {

    @ServerExceptionMapper
    public Response apiError(ApiError e) {
        return json(e);
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class })
    public Response unauthorized(RuntimeException e) {
        return json(ApiError.unauthorized("a bearer token is required"));
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return json(ApiError.forbidden("not allowed"));
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        return json(new ApiError(status, e.getMessage(), status >= 500 ? "server_error" : "invalid_request_error", null,
                null));
    }

    /** The database is down (or a connection broke): 503, retryable, OpenAI-shaped. */
    @ServerExceptionMapper
    public Response database(java.sql.SQLException e) {
        Log.warnf("database unavailable: %s", e.toString());
        return Response.fromResponse(json(ApiError.unavailable("the proxy's database is unavailable; retry later",
                "database_unavailable"))).header("Retry-After", "5").build();
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.sql.SQLException sql) {
                return database(sql);
            }
        }
        Log.errorf(e, "unexpected error");
        return json(new ApiError(500, "internal error", "server_error", null, null));
    }

    private static Response json(ApiError e) {
        return Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(e.toJson()).build();
    }
}
