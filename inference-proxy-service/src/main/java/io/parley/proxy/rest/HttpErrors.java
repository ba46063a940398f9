package io.parley.proxy.rest;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.proxy.service.ServiceError;
import io.parley.proxy.stream.ErrorStatus;

/** The HTTP status of each kind of service error: the one place where the proxy maps its errors to HTTP. */
@ApplicationScoped
public class HttpErrors implements ErrorStatus {

    public static int status(ServiceError error) {
        return switch (error.kind()) {
            case INVALID_REQUEST -> 400;
            case UNAUTHENTICATED -> 401;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case REQUEST_TIMEOUT -> 408;
            case TOO_LARGE -> 413;
            case RATE_LIMITED -> 429;
            case INTERNAL -> 500;
            case UPSTREAM_FAILED -> 502;
            case UNAVAILABLE -> 503;
            case UPSTREAM_TIMEOUT -> 504;
            case UPSTREAM_REFUSED -> error.upstreamStatus();
        };
    }

    @Override
    public int of(ServiceError error) {
        return status(error);
    }
}
