package io.parley.registry.model;

import java.util.Optional;

/**
 * An upstream base URL (without {@code /v1}) and where the server side finds its API key. The key itself never
 * travels.
 */
public record Endpoint(String url, Optional<String> credentialRef) {

    public Endpoint {
        url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
