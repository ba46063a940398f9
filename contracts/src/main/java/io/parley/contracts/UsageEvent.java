package io.parley.contracts;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One proxied call as the proxy reports it to usage-service ({@code POST /v1/usage/events}, docs/architecture.md),
 * serialized with snake_case names. {@code timestamp} is ISO-8601 (UTC); {@code latencyMs} and {@code status} are as
 * the client saw them (until the last byte was written to it); {@code bytesDelivered} counts the response body bytes
 * written to the client's connection (null when the call never started a body). {@code userId} is the caller's user
 * name (display); {@code userSub} the token's subject, the key usage is owned by (ADR 0011), null for an API key not
 * yet claimed by its owner's subject. {@code endpointKind} is an {@link EndpointKind#wireName()}.
 * <p>
 * usage-service validates what it receives field by field (a rejected event gets its reason) into its own record; its
 * contract test serializes this one.
 */
public record UsageEvent(String requestId, String timestamp, String userId, String userSub, String orgId,
        String apiKeyId, String model, String engineType, String deployment, String endpointKind, boolean stream,
        Integer promptTokens, Integer completionTokens, Double ttftMs, Double latencyMs, Double tokensPerSec,
        String status, String errorType, String correlationId, Map<String, String> metadata, String source,
        List<Attachment> attachments, Long bytesDelivered) {

    public static final String OK = "ok";
    public static final String ERROR = "error";
    /** The client left while the upstream was still producing: the upstream was cancelled. */
    public static final String CANCELLED = "cancelled";
    /** The upstream answered in full, but the client left before the proxy wrote the last byte to it. */
    public static final String CLIENT_DISCONNECTED = "client_disconnected";
    /** The proxy stopped (drain time over, or a crash reconstructed from the spool's journal) before the call ended. */
    public static final String INTERRUPTED = "interrupted";
    /** Every {@code status} there is. */
    public static final Set<String> STATUSES = Set.of(OK, ERROR, CANCELLED, CLIENT_DISCONNECTED, INTERRUPTED);

    /** The same event without the size of what reached the client (calls that never wrote a body). */
    public UsageEvent(String requestId, String timestamp, String userId, String userSub, String orgId,
            String apiKeyId, String model, String engineType, String deployment, String endpointKind, boolean stream,
            Integer promptTokens, Integer completionTokens, Double ttftMs, Double latencyMs, Double tokensPerSec,
            String status, String errorType, String correlationId, Map<String, String> metadata, String source,
            List<Attachment> attachments) {
        this(requestId, timestamp, userId, userSub, orgId, apiKeyId, model, engineType, deployment, endpointKind, stream,
                promptTokens, completionTokens, ttftMs, latencyMs, tokensPerSec, status, errorType, correlationId,
                metadata, source, attachments, null);
    }

    /** Audit of one multimodal part: never the bytes. */
    public record Attachment(String mimeType, long sizeBytes, String sha256) {
    }
}
