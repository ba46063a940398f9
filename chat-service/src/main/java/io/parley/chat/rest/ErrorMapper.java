package io.parley.chat.rest;

import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

import io.parley.chat.config.NulFreeText;
import io.parley.chat.config.StrictUtf8;
import io.parley.chat.repository.DatabaseUnavailableException;
import io.parley.chat.service.ApiException;
import io.quarkus.logging.Log;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;

/**
 * The one place errors become HTTP responses: every error answers the OpenAI shape
 * {@code {"error":{"message","type","param","code"}}} with the right status. Authentication is not proactive, so
 * a call to {@code /v1/**} without a bearer token or session cookie lands here as 401 JSON (never a redirect).
 */
public class ErrorMapper {

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return json(e.status(), ErrorBody.of(e.getMessage(), e.type(), e.param(), e.code()));
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class })
    public Response unauthorized(RuntimeException e) {
        return Response.status(401)
                .header("WWW-Authenticate", "Bearer")
                .type(MediaType.APPLICATION_JSON)
                .entity(ErrorBody.of("authentication required: send a bearer token or log in",
                        "authentication_error", null, "unauthorized"))
                .build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return json(403, ErrorBody.of("not allowed", "permission_error", null, "forbidden"));
    }

    @ServerExceptionMapper
    public Response nulInText(NulFreeText.NulInText e) {
        String param = e.param();
        return json(400, ErrorBody.of((param == null ? "the request body" : param) + " " + e.getOriginalMessage(),
                "invalid_request_error", param, "invalid_text"));
    }

    /** A body that is not strict UTF-8 (an overlong, invalid or truncated sequence): 400 naming the field. */
    @ServerExceptionMapper
    public Response malformedUtf8(StrictUtf8.MalformedUtf8 e) {
        String param = e.param();
        return json(400, ErrorBody.of((param == null ? "the request body" : param) + " " + e.getMessage(),
                "invalid_request_error", param, "invalid_text"));
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        String param = null;
        if (e instanceof MismatchedInputException mie && !mie.getPath().isEmpty()) {
            param = mie.getPath().get(mie.getPath().size() - 1).getFieldName();
        }
        String message = e instanceof InvalidFormatException || e instanceof MismatchedInputException
                ? "invalid value" + (param != null ? " for '" + param + "'" : "")
                : "request body is not valid JSON";
        return json(400, ErrorBody.of(message, "invalid_request_error", param, "invalid_json"));
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e) {
        return json(405, ErrorBody.of("method not allowed", "invalid_request_error", null, "method_not_allowed"));
    }

    /**
     * Client errors raised by the REST layer itself. {@code NotFoundException} is deliberately not mapped: Quarkus
     * REST then hands unknown paths on to the static resources (the playground page).
     */
    @ServerExceptionMapper({ BadRequestException.class, NotSupportedException.class, NotAcceptableException.class })
    public Response clientError(WebApplicationException e) {
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof StrictUtf8.MalformedUtf8 malformed) {
                return malformedUtf8(malformed); // the REST layer wraps what its JSON reader threw
            }
        }
        int status = e.getResponse().getStatus();
        return json(status, ErrorBody.of(e.getMessage(), "invalid_request_error", null, "invalid_request"));
    }

    /**
     * The database is unreachable (stopped, restarting, failing over): 503 with a retryable OpenAI-shaped error and
     * {@code Retry-After}, never 500. A connection that went stale in a restart is retried once before this.
     */
    @ServerExceptionMapper
    public Response databaseUnavailable(DatabaseUnavailableException e) {
        Log.warnf("database unavailable: %s", e.getMessage());
        return Response.status(503).header("Retry-After", "2").type(MediaType.APPLICATION_JSON)
                .entity(ErrorBody.of("the chat database is unavailable right now: retry shortly", "server_error", null,
                        "database_unavailable"))
                .build();
    }

    /**
     * Internal failures (the repository wraps database errors in {@code IllegalStateException}). There is no mapper
     * for {@code Exception}: Quarkus REST would then route unknown paths to it instead of the static page.
     */
    @ServerExceptionMapper
    public Response unexpected(IllegalStateException e) {
        Log.errorf(e, "internal error");
        return json(500, ErrorBody.of("internal error", "server_error", null, "internal_error"));
    }

    private static Response json(int status, ErrorBody body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
}
