package io.parley.registry.rest;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.parley.contracts.ErrorBody;
import io.quarkus.logging.Log;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;

/** The one place errors become OpenAI-shaped JSON with the right status. */
public class ErrorMapper {

    @ServerExceptionMapper
    public Response registry(RegistryException e) {
        return respond(e.status(), ErrorBody.of(e.getMessage(), e.type(), null, e.code()));
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class })
    public Response unauthorized(RuntimeException e) {
        return Response.status(401)
                .header("WWW-Authenticate", "Bearer")
                .type(MediaType.APPLICATION_JSON)
                .entity(ErrorBody.of("a valid bearer token is required", "authentication_error", null, "unauthorized"))
                .build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return respond(403, ErrorBody.of("you lack the role this operation needs", "permission_error", null, "forbidden"));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String type = status == 404 ? "invalid_request_error" : status < 500 ? "invalid_request_error" : "api_error";
        String code = status == 404 ? "not_found" : status == 405 ? "method_not_allowed" : null;
        return respond(status, ErrorBody.of(e.getMessage(), type, null, code));
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        Log.errorf(e, "unexpected error");
        return respond(500, ErrorBody.of("internal error", "api_error", null, "internal_error"));
    }

    private static Response respond(int status, ErrorBody body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
}
