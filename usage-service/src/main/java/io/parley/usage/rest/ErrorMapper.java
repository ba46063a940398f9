package io.parley.usage.rest;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.parley.contracts.ErrorBody;
import io.parley.usage.health.OidcReadiness;
import io.parley.usage.service.UsageException;
import io.quarkus.logging.Log;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;

/** The service's one exception mapper: every failure leaves as OpenAI-shaped error JSON with the right status. */
public class ErrorMapper {

    @jakarta.inject.Inject
    OidcReadiness oidc;

    @ServerExceptionMapper
    public Response refused(UsageException e) {
        int status = switch (e.kind()) {
            case INVALID -> 400;
            case TOO_LARGE -> 413;
        };
        return error(status, e.getMessage(), "invalid_request_error", e.param(), e.code());
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        String detail = e.getOriginalMessage() == null ? "malformed JSON" : e.getOriginalMessage();
        return error(400, "request body is not valid JSON: " + detail, "invalid_request_error", null, "invalid_json");
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class })
    public Response unauthorized(RuntimeException e) {
        if (!oidc.ready()) {
            return oidcUnavailable();
        }
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

    /** The OIDC provider's keys are not loaded (it was down at start): no token can be verified yet. */
    @ServerExceptionMapper
    public Response oidcFailure(io.quarkus.oidc.OIDCException e) {
        return oidcUnavailable();
    }

    private static Response oidcUnavailable() {
        return Response.fromResponse(error(503, "the identity provider is unreachable, so tokens cannot be verified;"
                + " retry later", "service_unavailable_error", null, "auth_unavailable")).header("Retry-After", "5")
                .build();
    }

    /** The database is down or a connection broke: 503, retryable (an ingest batch can be sent again as it is). */
    static Response databaseUnavailable(java.sql.SQLException e) {
        Log.warnf("database unavailable: %s", e.toString());
        return Response.fromResponse(error(503, "the usage database is unavailable; retry later",
                "service_unavailable_error", null, "database_unavailable")).header("Retry-After", "5").build();
    }

    @ServerExceptionMapper
    public Response unexpected(IllegalStateException e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.sql.SQLException sql) {
                return databaseUnavailable(sql);
            }
        }
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
