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

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        Log.errorf(e, "unexpected error");
        return json(new ApiError(500, "internal error", "server_error", null, null));
    }

    private static Response json(ApiError e) {
        return Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(e.toJson()).build();
    }
}
