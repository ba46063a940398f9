package io.parley.chat.client;

import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One call to the inference proxy: the endpoint (which also says how to read its stream), the JSON body and the
 * envelope headers ({@code X-Correlation-Id}, {@code X-Parley-Overrides}, ...). The caller's token is added by
 * {@link ProxyClient}. {@link #toString()} leaves the body out (it may hold attachments).
 */
public record ProxyRequest(EndpointMode mode, ObjectNode body, Map<String, String> headers) {

    public String correlationId() {
        return headers.get("X-Correlation-Id");
    }

    @Override
    public String toString() {
        return "ProxyRequest[" + mode.path() + ", correlation " + correlationId() + "]";
    }
}
