package io.parley.usage.model;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A stored usage record as queries return it: the ingested event plus when it was received. */
public record UsageRecord(
        String requestId,
        Instant timestamp,
        Instant receivedAt,
        String userId,
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
        Map<String, Object> metadata,
        String source,
        List<Attachment> attachments,
        Long bytesDelivered) {
}
