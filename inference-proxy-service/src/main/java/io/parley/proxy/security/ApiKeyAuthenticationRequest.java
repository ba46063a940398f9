package io.parley.proxy.security;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** A presented Parley API key secret. */
public class ApiKeyAuthenticationRequest extends BaseAuthenticationRequest {

    private final String secret;

    public ApiKeyAuthenticationRequest(String secret) {
        this.secret = secret;
    }

    public String secret() {
        return secret;
    }
}
