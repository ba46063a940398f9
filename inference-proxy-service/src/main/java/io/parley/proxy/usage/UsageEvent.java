package io.parley.proxy.usage;

import java.util.List;
import java.util.Map;

/** The usage event of docs/architecture.md ({@code POST /v1/usage/events}), one per proxied call. */
public record UsageEvent(String requestId, String timestamp, String userId, String orgId, String apiKeyId,
        String model, String engineType, String deployment, String endpointKind, boolean stream,
        Integer promptTokens, Integer completionTokens, Double ttftMs, Double latencyMs, Double tokensPerSec,
        String status, String errorType, String correlationId, Map<String, String> metadata, String source,
        List<Attachment> attachments) {

    public static final String OK = "ok";
    public static final String ERROR = "error";
    public static final String CANCELLED = "cancelled";

    /** Audit of one multimodal part: never the bytes. */
    public record Attachment(String mimeType, long sizeBytes, String sha256) {
    }
}
