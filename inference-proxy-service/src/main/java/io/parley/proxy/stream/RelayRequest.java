package io.parley.proxy.stream;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.parley.contracts.EndpointKind;
import io.parley.contracts.UsageEvent;
import io.parley.proxy.translate.Translation;
import io.vertx.core.buffer.Buffer;

/**
 * One call as the routes hand it to the relay: its envelope, the model it asks for, what goes upstream
 * ({@code upstreamBody}, always chat or text completions) and what the proxy keeps for usage. {@code translation} is
 * present when the client speaks another API than the upstream's (Anthropic Messages, OpenAI Responses);
 * {@code promptTokensEstimate} is used for usage only when the upstream's own count never arrives.
 */
public record RelayRequest(CallEnvelope envelope, String model, boolean clientStream, boolean clientWantsUsage,
        Map<String, String> metadata, String source, Buffer upstreamBody, List<UsageEvent.Attachment> attachments,
        int promptTokensEstimate, Optional<Translation> translation) {

    public EndpointKind kind() {
        return envelope.kind();
    }

    public String correlationId() {
        return envelope.correlationId();
    }

    public String requestId() {
        return envelope.requestId();
    }
}
