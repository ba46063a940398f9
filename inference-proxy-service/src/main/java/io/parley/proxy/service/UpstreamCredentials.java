package io.parley.proxy.service;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.parley.contracts.CredentialRef;
import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.config.CredentialsConfig;
import io.quarkus.logging.Log;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;

/**
 * The upstream API key of an endpoint's credential reference, by the rule the registry applies too
 * ({@link CredentialRef}): {@code env:NAME} only for names in {@code parley.credentials.allowed-env};
 * {@code secret:NAMESPACE/NAME/KEY} (the registry qualified it with the deployment's own namespace) read from the
 * Kubernetes API with the proxy's service account and kept for {@code parley.credentials.secret-ttl}. Anything else
 * is refused: the call goes without a key, and the refusal is logged once. Never blocks: a Secret is fetched in the
 * background when a model that names it appears ({@link #prefetch}) or when its cached key is old.
 */
@ApplicationScoped
public class UpstreamCredentials {

    private record Cached(Optional<String> key, long fetchedAtNanos) {
    }

    private final CredentialsConfig config;
    private final Set<String> allowedEnv;
    private final Vertx vertx;
    private final Map<String, Cached> secrets = new ConcurrentHashMap<>();
    private final Set<String> fetching = ConcurrentHashMap.newKeySet();
    private final Set<String> refusedLogged = ConcurrentHashMap.newKeySet();
    private volatile HttpClient client;

    UpstreamCredentials(CredentialsConfig config, Vertx vertx) {
        this.config = config;
        this.allowedEnv = Set.copyOf(config.allowedEnvNames());
        this.vertx = vertx;
    }

    @PreDestroy
    void close() {
        if (client != null) {
            client.close();
        }
    }

    /** The key for {@code ref} known now (null or blank: none). */
    public Optional<String> key(String ref) {
        if (ref == null || ref.isBlank()) {
            return Optional.empty();
        }
        var checked = CredentialRef.check(ref, Optional.empty(), allowedEnv);
        if (checked.refusal().isPresent()) {
            if (refusedLogged.size() < 1000 && refusedLogged.add(ref)) {
                Log.warnf("credential reference refused, calling the upstream without a key: %s",
                        checked.refusal().get());
            }
            return Optional.empty();
        }
        CredentialRef credential = checked.ref().get();
        if (credential instanceof CredentialRef.Env env) {
            return Optional.ofNullable(System.getenv(env.name())).filter(s -> !s.isBlank());
        }
        CredentialRef.Secret secret = (CredentialRef.Secret) credential;
        Cached cached = secrets.get(secret.text());
        if (cached == null || System.nanoTime() - cached.fetchedAtNanos() > config.secretTtl().toNanos()) {
            fetch(secret);
        }
        return cached == null ? Optional.empty() : cached.key();
    }

    /** Starts reading the Secrets the endpoints of {@code models} name that are not cached yet. */
    public void prefetch(Collection<RegistryModel> models) {
        for (RegistryModel m : models) {
            for (RegistryModel.Endpoint e : m.endpoints()) {
                String ref = e.credentialRef();
                if (ref != null && ref.startsWith("secret:") && !secrets.containsKey(ref.trim())) {
                    key(ref);
                }
            }
        }
    }

    private void fetch(CredentialRef.Secret ref) {
        if (!fetching.add(ref.text())) {
            return;
        }
        String token;
        try {
            token = Files.readString(Path.of(config.tokenFile()), StandardCharsets.UTF_8).trim();
        } catch (Exception e) {
            fetching.remove(ref.text());
            Log.warnf("Secret %s/%s cannot be read: no service account token at %s", ref.namespace(), ref.name(),
                    config.tokenFile());
            return;
        }
        String path = "/api/v1/namespaces/" + ref.namespace() + "/secrets/" + ref.name();
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET)
                .setAbsoluteURI(stripSlash(config.kubernetesApi()) + path)
                .putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + token).setTimeout(10_000);
        client().request(request).compose(r -> r.send()).compose(response -> response.statusCode() == 200
                ? response.body()
                : Future.failedFuture("status " + response.statusCode())).onComplete(ar -> {
                    fetching.remove(ref.text());
                    if (ar.failed()) {
                        Log.warnf("Secret %s/%s could not be read (%s)", ref.namespace(), ref.name(),
                                ar.cause().getMessage());
                        // an unreadable Secret is asked again after the TTL; a key read before is kept meanwhile
                        Cached old = secrets.get(ref.text());
                        secrets.put(ref.text(), new Cached(old == null ? Optional.empty() : old.key(), System.nanoTime()));
                        return;
                    }
                    secrets.put(ref.text(), new Cached(keyOf(ar.result().toJsonObject(), ref.key()), System.nanoTime()));
                });
    }

    private static Optional<String> keyOf(JsonObject secret, String key) {
        JsonObject data = secret == null ? null : secret.getJsonObject("data");
        String encoded = data == null ? null : data.getString(key);
        if (encoded == null) {
            return Optional.empty();
        }
        return Optional.of(new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8).trim())
                .filter(s -> !s.isBlank());
    }

    private HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    HttpClientOptions options = new HttpClientOptions().setConnectTimeout(5_000)
                            .setName("parley-kubernetes-secrets");
                    if (Files.isReadable(Path.of(config.caFile()))) {
                        options.setTrustOptions(new PemTrustOptions().addCertPath(config.caFile()));
                    }
                    client = vertx.createHttpClient(options);
                }
                c = client;
            }
        }
        return c;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
