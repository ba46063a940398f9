package io.parley.registry.health;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

import org.eclipse.microprofile.config.ConfigProvider;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.parley.contracts.CredentialRef;
import io.parley.registry.config.CredentialsConfig;
import io.quarkus.logging.Log;

/**
 * Turns a credential reference into the secret, server-side only, by the rule the proxy applies too
 * ({@link CredentialRef}): {@code secret:NAMESPACE/NAME/KEY} reads that key of the Secret (the registry qualified the
 * reference with the deployment's namespace when it read the annotation); {@code env:NAME} reads the environment
 * variable (or a config property of that name), only for names in {@code parley.credentials.allowed-env}. Anything
 * else is refused. The secret is never logged and never leaves this process except as the upstream's
 * {@code Authorization} header. Blocking (a Secret is read from the API server).
 */
@ApplicationScoped
public class CredentialResolver {

    private final CredentialsConfig config;
    private final Instance<KubernetesClient> clients;

    public CredentialResolver(CredentialsConfig config, Instance<KubernetesClient> clients) {
        this.config = config;
        this.clients = clients;
    }

    public Optional<String> resolve(Optional<String> ref) {
        if (ref.isEmpty() || ref.get().isBlank()) {
            return Optional.empty();
        }
        var checked = CredentialRef.check(ref.get(), Optional.empty(), config.allowedEnvNames());
        if (checked.refusal().isPresent()) {
            Log.warnf("credential reference refused, probing without an API key: %s", checked.refusal().get());
            return Optional.empty();
        }
        CredentialRef credential = checked.ref().get();
        Optional<String> secret;
        if (credential instanceof CredentialRef.Env env) {
            secret = Optional.ofNullable(System.getenv(env.name()))
                    .or(() -> ConfigProvider.getConfig().getOptionalValue(env.name(), String.class));
        } else {
            secret = secretKey((CredentialRef.Secret) credential);
        }
        secret = secret.filter(s -> !s.isBlank());
        if (secret.isEmpty()) {
            Log.warnf("credential %s is not set; probing without an API key", credential.text());
        }
        return secret;
    }

    private Optional<String> secretKey(CredentialRef.Secret ref) {
        try {
            Secret secret = clients.get().secrets().inNamespace(ref.namespace()).withName(ref.name()).get();
            if (secret == null) {
                return Optional.empty();
            }
            if (secret.getStringData() != null && secret.getStringData().containsKey(ref.key())) {
                return Optional.of(secret.getStringData().get(ref.key()));
            }
            if (secret.getData() == null || !secret.getData().containsKey(ref.key())) {
                return Optional.empty();
            }
            return Optional.of(new String(Base64.getDecoder().decode(secret.getData().get(ref.key())),
                    StandardCharsets.UTF_8).trim());
        } catch (RuntimeException e) {
            Log.warnf("Secret %s/%s could not be read (%s)", ref.namespace(), ref.name(), e.getClass().getSimpleName());
            return Optional.empty();
        }
    }
}
