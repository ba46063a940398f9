package io.parley.proxy.stream;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.security.Caller;
import io.parley.proxy.translate.StreamTranslator;
import io.parley.proxy.usage.UsageEvent;
import io.vertx.core.buffer.Buffer;

/**
 * Everything about one call that is fixed before the upstream is contacted; {@code translator} is present when the client
 * speaks another API than the upstream's chat completions (Anthropic Messages); {@code promptTokensEstimate} is used for
 * usage only when the upstream's own count never arrives; {@code caller} is who is calling (ADR 0011).
 */
public record CallContext(String requestId, String correlationId, Caller caller, String apiKeyId, String source,
        Map<String, String> metadata, EndpointKind kind, boolean clientStream, boolean clientWantsUsage,
        long startNanos, Instant startedAt, RegistryModel model, Buffer upstreamBody,
        List<UsageEvent.Attachment> attachments, Optional<StreamTranslator> translator, int promptTokensEstimate) {
}
