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
 * Kubernetes API with the proxy's service account and kept for {@code parley.credentials.secret-ttl}. A reference that
 * is refused, or names a variable that is not set or a Secret or key that cannot be read, yields no key but the reason
 * ({@link Lookup#unavailable()}): the call is then not sent to that upstream (the client gets 503
 * {@code upstream_credential_unavailable}), and the reason, which names the reference and never a value, is logged
 * once per reference and reason. Never blocks: a Secret is fetched in the background when a model that names it
 * appears ({@link #prefetch}) or when its cached key is old.
 */
@ApplicationScoped
public class UpstreamCredentials {

    /** What a reference resolves to now: a key, nothing (no reference), or the reason there is none. */
    public record Lookup(Optional<String> key, Optional<String> unavailable) {

        static final Lookup NONE = new Lookup(Optional.empty(), Optional.empty());

        static Lookup of(String key) {
            return new Lookup(Optional.of(key), Optional.empty());
        }

        static Lookup missing(String why) {
            return new Lookup(Optional.empty(), Optional.of(why));
        }
    }

    /** One read of a Secret: {@code answered} when the API server said what it holds (200 or 404). */
    private record Read(Lookup lookup, boolean answered) {
    }

    /** A Secret's key as last read, or why it could not be. */
    private record Cached(Lookup lookup, long fetchedAtNanos) {
    }

    private final CredentialsConfig config;
    private final Set<String> allowedEnv;
    private final Vertx vertx;
    private final Map<String, Cached> secrets = new ConcurrentHashMap<>();
    private final Set<String> fetching = ConcurrentHashMap.newKeySet();
    private final Set<String> logged = ConcurrentHashMap.newKeySet();
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

    /** The key for {@code ref} known now, or why there is none ({@code ref} null or blank: no key needed). */
    public Lookup lookup(String ref) {
        if (ref == null || ref.isBlank()) {
            return Lookup.NONE;
        }
        var checked = CredentialRef.check(ref, Optional.empty(), allowedEnv);
        if (checked.refusal().isPresent()) {
            return logged(Lookup.missing("the credential reference is refused: " + checked.refusal().get()));
        }
        CredentialRef credential = checked.ref().get();
        if (credential instanceof CredentialRef.Env env) {
            return logged(Optional.ofNullable(System.getenv(env.name())).filter(s -> !s.isBlank()).map(Lookup::of)
                    .orElseGet(() -> Lookup.missing(CredentialRef.Unavailable.unset(env))));
        }
        CredentialRef.Secret secret = (CredentialRef.Secret) credential;
        Cached cached = secrets.get(secret.text());
        if (cached == null || System.nanoTime() - cached.fetchedAtNanos() > config.secretTtl().toNanos()) {
            fetch(secret);
        }
        return cached == null
                ? Lookup.missing("Secret " + secret.namespace() + "/" + secret.name() + " is being read")
                : logged(cached.lookup());
    }

    /** {@code lookup}, its reason logged the first time it is seen (bounded, so a flood of refs cannot grow it). */
    private Lookup logged(Lookup lookup) {
        lookup.unavailable().ifPresent(why -> {
            if (logged.size() < 1000 && logged.add(why)) {
                Log.warnf("upstream API key not available, calls to that upstream answer 503: %s", why);
            }
        });
        return lookup;
    }

    /** Starts reading the Secrets the endpoints of {@code models} name that are not cached yet. */
    public void prefetch(Collection<RegistryModel> models) {
        for (RegistryModel m : models) {
            for (RegistryModel.Endpoint e : m.endpoints()) {
                String ref = e.credentialRef();
                if (ref != null && ref.startsWith("secret:") && !secrets.containsKey(ref.trim())) {
                    lookup(ref);
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
            fetched(ref, Lookup.missing(CredentialRef.Unavailable.unreadable(ref, "the proxy has no service account"
                    + " token at " + config.tokenFile() + "; the Helm chart mounts one with credentials.secrets")), false);
            return;
        }
        String path = "/api/v1/namespaces/" + ref.namespace() + "/secrets/" + ref.name();
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET)
                .setAbsoluteURI(stripSlash(config.kubernetesApi()) + path)
                .putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + token).setTimeout(10_000);
        client().request(request).compose(r -> r.send()).compose(response -> response.body().map(body -> {
            int status = response.statusCode();
            if (status == 200) {
                return new Read(keyOf(body.toJsonObject(), ref), true);
            }
            if (status == 404) {
                return new Read(Lookup.missing(CredentialRef.Unavailable.notFound(ref)), true);
            }
            return new Read(Lookup.missing(status == 403 ? CredentialRef.Unavailable.forbidden(ref, "proxy")
                    : CredentialRef.Unavailable.unreadable(ref, "the API server answered " + status)), false);
        })).onComplete(ar -> {
            if (ar.failed()) {
                fetched(ref, Lookup.missing(CredentialRef.Unavailable.unreadable(ref,
                        ar.cause().getClass().getSimpleName())), false);
            } else {
                fetched(ref, ar.result().lookup(), ar.result().answered());
            }
        });
    }

    /**
     * Keeps what a read gave. A read that says what the Secret holds ({@code answered}: 200 or 404) replaces the key;
     * one that failed (no token, refused, API server unreachable) keeps a key read before, so a passing outage of the
     * API server does not stop the calls. Either is read again after the TTL.
     */
    private void fetched(CredentialRef.Secret ref, Lookup lookup, boolean answered) {
        Cached old = secrets.get(ref.text());
        Lookup kept = !answered && old != null && old.lookup().key().isPresent() ? old.lookup() : lookup;
        secrets.put(ref.text(), new Cached(kept, System.nanoTime()));
        fetching.remove(ref.text());
        if (kept != lookup) {
            Log.warnf("%s; the key read before is used until it is read again", lookup.unavailable().orElse(""));
        } else {
            logged(lookup);
        }
    }

    private static Lookup keyOf(JsonObject secret, CredentialRef.Secret ref) {
        JsonObject data = secret == null ? null : secret.getJsonObject("data");
        String encoded = data == null ? null : data.getString(ref.key());
        Optional<String> key = Optional.ofNullable(encoded)
                .map(e -> new String(Base64.getDecoder().decode(e), StandardCharsets.UTF_8).trim())
                .filter(s -> !s.isBlank());
        return key.map(Lookup::of).orElseGet(() -> Lookup.missing(CredentialRef.Unavailable.noKey(ref)));
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
