package io.parley.usage.model;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One recorded call (design §6), exactly the shape of the ingest contract in docs/architecture.md. Optional numbers and
 * strings are null when unknown. {@code userSub} (the caller's token subject, ADR 0011) is null in events of proxies
 * older than it.
 */
public record UsageEvent(
        String requestId,
        Instant timestamp,
        String userId,
        String userSub,
        String orgId,
        String apiKeyId,
        String model,
        String engineType,
        String deployment,
        String endpointKind,
        boolean stream,
        long promptTokens,
        long completionTokens,
        Double ttftMs,
        Double latencyMs,
        Double tokensPerSec,
        String status,
        String errorType,
        String correlationId,
        ObjectNode metadata,
        String source,
        List<Attachment> attachments,
        Long bytesDelivered) {
}
