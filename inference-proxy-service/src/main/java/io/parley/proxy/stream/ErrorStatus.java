package io.parley.proxy.stream;

import io.parley.proxy.service.ServiceError;

/**
 * The HTTP status a relayed call answers an error with before its first byte. Implemented in the rest layer
 * ({@code rest.HttpErrors}), the one place that maps service errors to HTTP.
 */
public interface ErrorStatus {

    int of(ServiceError error);
}
