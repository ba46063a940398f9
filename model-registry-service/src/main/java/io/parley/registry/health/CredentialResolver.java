package io.parley.registry.health;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.ConfigProvider;

import io.quarkus.logging.Log;

/**
 * Turns a credential reference into the secret, server-side only. {@code env:VAR} reads the environment variable
 * {@code VAR} (or a config property of that name). The secret is never logged and never leaves this process except
 * as the upstream's {@code Authorization} header.
 */
@ApplicationScoped
public class CredentialResolver {

    public Optional<String> resolve(Optional<String> ref) {
        if (ref.isEmpty() || ref.get().isBlank()) {
            return Optional.empty();
        }
        String value = ref.get().trim();
        if (value.startsWith("env:")) {
            String name = value.substring(4);
            Optional<String> secret = Optional.ofNullable(System.getenv(name))
                    .or(() -> ConfigProvider.getConfig().getOptionalValue(name, String.class))
                    .filter(s -> !s.isBlank());
            if (secret.isEmpty()) {
                Log.warnf("credential %s is not set; probing without an API key", value);
            }
            return secret;
        }
        Log.warnf("unsupported credential reference scheme in '%s' (supported: env:VAR)", value);
        return Optional.empty();
    }
}
