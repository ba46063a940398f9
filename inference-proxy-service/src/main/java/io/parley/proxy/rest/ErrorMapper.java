package io.parley.proxy.rest;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.parley.proxy.service.ServiceError;
import io.quarkus.logging.Log;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;

/** The one mapper of the REST endpoints: every error becomes OpenAI-shaped JSON with its status. */
public class ErrorMapper {

    @ServerExceptionMapper
    public Response apiError(ServiceError e) {
        return json(e);
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class })
    public Response unauthorized(RuntimeException e) {
        return json(ServiceError.unauthorized("a bearer token is required"));
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return json(ServiceError.forbidden("not allowed"));
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        return json(status, new ServiceError(status >= 500 ? ServiceError.Kind.INTERNAL : ServiceError.Kind.INVALID_REQUEST,
                e.getMessage(), status >= 500 ? "server_error" : "invalid_request_error", null, null));
    }

    /** The database is down (or a connection broke): 503, retryable, OpenAI-shaped. */
    @ServerExceptionMapper
    public Response database(java.sql.SQLException e) {
        Log.warnf("database unavailable: %s", e.toString());
        return Response.fromResponse(json(ServiceError.unavailable("the proxy's database is unavailable; retry later",
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
        return json(new ServiceError(ServiceError.Kind.INTERNAL, "internal error", "server_error", null, null));
    }

    private static Response json(ServiceError e) {
        return json(HttpErrors.status(e), e);
    }

    private static Response json(int status, ServiceError e) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(e.toJson()).build();
    }
}
