package io.parley.chat.rest;

import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Gives the documented error JSON to error responses the REST layer produced without a body (for example the 400 of
 * a request body that is not JSON, or a 405). Exception mappers cannot do this for {@code WebApplicationException}
 * without also catching {@code NotFoundException}, which must fall through to the static playground files.
 */
public class EmptyErrorFilter {

    @ServerResponseFilter
    public void fill(ContainerResponseContext response) {
        int status = response.getStatus();
        if (status < 400 || response.hasEntity()) {
            return;
        }
        String message = switch (status) {
            case 400 -> "invalid request: the body is not valid JSON or does not match the expected shape";
            case 404 -> "not found";
            case 405 -> "method not allowed";
            case 406 -> "not acceptable: ask for application/json or text/event-stream";
            case 415 -> "unsupported media type: send application/json";
            default -> "request failed";
        };
        String type = status >= 500 ? "server_error" : "invalid_request_error";
        response.setEntity(ErrorBody.of(message, type, null, status == 400 ? "invalid_request" : null), null,
                MediaType.APPLICATION_JSON_TYPE);
    }
}
