package io.parley.proxy.stream;

import java.time.Instant;

import io.parley.contracts.EndpointKind;
import io.parley.proxy.service.Caller;

/**
 * Who calls, how and when: what the routes know of a call before its body is parsed. {@code caller} is who is calling
 * (ADR 0011); {@code apiKeyId} is present only for a Parley API key; {@code startNanos} and {@code startedAt} are taken
 * as the request arrives, before its body is read.
 */
public record CallEnvelope(String requestId, String correlationId, Caller caller, String apiKeyId, EndpointKind kind,
        long startNanos, Instant startedAt) {
}
