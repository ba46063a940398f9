package io.parley.registry.probe;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

import org.eclipse.microprofile.config.ConfigProvider;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.parley.contracts.CredentialRef;
import io.parley.registry.config.CredentialsConfig;
import io.quarkus.logging.Log;

/**
 * Turns a credential reference into the secret, server-side only, by the rule the proxy applies too
 * ({@link CredentialRef}): {@code secret:NAMESPACE/NAME/KEY} reads that key of the Secret (the registry qualified the
 * reference with the deployment's namespace when it read the annotation); {@code env:NAME} reads the environment
 * variable (or a config property of that name), only for names in {@code parley.credentials.allowed-env}. Anything
 * else is refused. A reference that gives no key gives the reason instead ({@link Resolution#unavailable()}, in the
 * words the proxy logs: {@link CredentialRef.Unavailable}); the probe then fails with it, as the proxy would not call
 * that upstream either. The secret is never logged and never leaves this process except as the upstream's
 * {@code Authorization} header. Blocking (a Secret is read from the API server).
 */
@ApplicationScoped
public class CredentialResolver {

    /** A key, nothing (no reference), or why there is no key: names of references only, never a value. */
    public record Resolution(Optional<String> key, Optional<String> unavailable) {

        static final Resolution NONE = new Resolution(Optional.empty(), Optional.empty());

        static Resolution of(String key) {
            return new Resolution(Optional.of(key), Optional.empty());
        }

        static Resolution missing(String why) {
            return new Resolution(Optional.empty(), Optional.of(why));
        }
    }

    private final CredentialsConfig config;
    private final Instance<KubernetesClient> clients;
    /** The last reason logged per reference, so a probe every few seconds logs a change only. */
    private final Map<String, String> logged = new ConcurrentHashMap<>();

    public CredentialResolver(CredentialsConfig config, Instance<KubernetesClient> clients) {
        this.config = config;
        this.clients = clients;
    }

    public Resolution resolve(Optional<String> ref) {
        if (ref.isEmpty() || ref.get().isBlank()) {
            return Resolution.NONE;
        }
        var checked = CredentialRef.check(ref.get(), Optional.empty(), config.allowedEnvNames());
        if (checked.refusal().isPresent()) {
            return logged(ref.get(), Resolution.missing("the credential reference is refused: " + checked.refusal().get()));
        }
        CredentialRef credential = checked.ref().get();
        Resolution resolution;
        if (credential instanceof CredentialRef.Env env) {
            resolution = Optional.ofNullable(System.getenv(env.name()))
                    .or(() -> ConfigProvider.getConfig().getOptionalValue(env.name(), String.class))
                    .filter(s -> !s.isBlank()).map(Resolution::of)
                    .orElseGet(() -> Resolution.missing(CredentialRef.Unavailable.unset(env)));
        } else {
            resolution = secretKey((CredentialRef.Secret) credential);
        }
        return logged(credential.text(), resolution);
    }

    private Resolution logged(String ref, Resolution resolution) {
        if (resolution.unavailable().isEmpty()) {
            if (logged.remove(ref) != null) {
                Log.infof("credential %s resolves again", ref);
            }
        } else if (logged.size() < 1000 || logged.containsKey(ref)) {
            String why = resolution.unavailable().get();
            if (!why.equals(logged.put(ref, why))) {
                Log.warnf("no API key for the upstream, its probe fails: %s", why);
            }
        }
        return resolution;
    }

    private Resolution secretKey(CredentialRef.Secret ref) {
        Secret secret;
        try {
            secret = clients.get().secrets().inNamespace(ref.namespace()).withName(ref.name()).get();
        } catch (KubernetesClientException e) {
            return Resolution.missing(e.getCode() == 403 ? CredentialRef.Unavailable.forbidden(ref, "registry")
                    : CredentialRef.Unavailable.unreadable(ref, e.getCode() > 0 ? "the API server answered "
                            + e.getCode() : e.getClass().getSimpleName()));
        } catch (RuntimeException e) {
            return Resolution.missing(CredentialRef.Unavailable.unreadable(ref, e.getClass().getSimpleName()));
        }
        if (secret == null) {
            return Resolution.missing(CredentialRef.Unavailable.notFound(ref));
        }
        Optional<String> value;
        if (secret.getStringData() != null && secret.getStringData().containsKey(ref.key())) {
            value = Optional.ofNullable(secret.getStringData().get(ref.key()));
        } else if (secret.getData() != null && secret.getData().containsKey(ref.key())) {
            try {
                value = Optional.of(new String(Base64.getDecoder().decode(secret.getData().get(ref.key())),
                        StandardCharsets.UTF_8));
            } catch (IllegalArgumentException notBase64) {
                return Resolution.missing(CredentialRef.Unavailable.unreadable(ref, "key " + ref.key()
                        + " is not base64"));
            }
        } else {
            value = Optional.empty();
        }
        return value.map(String::trim).filter(s -> !s.isBlank()).map(Resolution::of)
                .orElseGet(() -> Resolution.missing(CredentialRef.Unavailable.noKey(ref)));
    }
}
