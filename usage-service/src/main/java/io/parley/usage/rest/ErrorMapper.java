package io.parley.usage.rest;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.parley.usage.service.ApiException;
import io.quarkus.logging.Log;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;

/** The service's one exception mapper: every failure leaves as OpenAI-shaped error JSON with the right status. */
public class ErrorMapper {

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return error(e.status(), e.getMessage(), e.type(), e.param(), e.code());
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        String detail = e.getOriginalMessage() == null ? "malformed JSON" : e.getOriginalMessage();
        return error(400, "request body is not valid JSON: " + detail, "invalid_request_error", null, "invalid_json");
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class })
    public Response unauthorized(RuntimeException e) {
        return Response.fromResponse(error(401, "a valid bearer token is required", "authentication_error", null,
                "invalid_authentication")).header("WWW-Authenticate", "Bearer").build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return error(403, "the caller's roles do not allow this operation", "permission_error", null, "forbidden");
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (e.getCause() instanceof JsonProcessingException json) {
            return badJson(json);
        }
        String type = status >= 500 ? "server_error" : "invalid_request_error";
        String message = e.getMessage() == null ? Response.Status.fromStatusCode(status).getReasonPhrase() : e.getMessage();
        return error(status, message, type, null, null);
    }

    @ServerExceptionMapper
    public Response unexpected(IllegalStateException e) {
        Log.errorf(e, "request failed: %s", e.getMessage());
        return error(500, "internal error; see the usage-service log", "server_error", null, "internal_error");
    }

    static Response error(int status, String message, String type, String param, String code) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(ErrorBody.of(message, type, param, code))
                .build();
    }
}
