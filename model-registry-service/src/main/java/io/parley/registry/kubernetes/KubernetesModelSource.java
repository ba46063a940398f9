package io.parley.registry.kubernetes;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.parley.registry.config.CredentialsConfig;
import io.parley.registry.config.RegistryConfig;
import io.parley.registry.config.RegistryConfig.SourceKind;
import io.parley.registry.model.DeclaredModel;
import io.parley.registry.model.DeploymentInfo;
import io.parley.registry.model.ModelTraits;
import io.parley.registry.sambastack.Resources;
import io.parley.registry.sambastack.Resources.Generation;
import io.parley.registry.source.ModelSource;
import io.parley.registry.source.SourceChanged;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Models of SambaStack deployments of both generations, from informers on the configured kinds (generic resources,
 * parsed one object at a time, so a mistyped object is listed as {@code Invalid} and never stops its kind), Pods and
 * Services in the configured namespaces. Every informer event schedules one rebuild of the picture from the informer
 * caches (coalesced) and a {@link SourceChanged}; never reads the API server on a request path. A kind whose CRD is
 * missing is reported and does not hold readiness back; a watch down for longer than
 * {@code parley.registry.kubernetes.stale-after} turns readiness DOWN and the view {@code stale}; once back, the kind
 * is listed again.
 */
@ApplicationScoped
public class KubernetesModelSource implements ModelSource {

    public static final String NAME = ClusterView.SOURCE;
    private static final String ALL = "*";
    private static final String GROUP = "sambanova.ai";
    private static final String VERSION = "v1alpha1";

    /** The SambaStack kinds this source knows: plural and generation. */
    enum Kind {
        BUNDLE_DEPLOYMENT("BundleDeployment", "bundledeployments"),
        BUNDLE("Bundle", "bundles"),
        MODEL_DEPLOYMENT("ModelDeployment", "modeldeployments"),
        MODEL_BUNDLE("ModelBundle", "modelbundles"),
        MODEL("Model", "models"),
        MODEL_PROFILE("ModelProfile", "modelprofiles");

        final String kind;
        final String plural;

        Kind(String kind, String plural) {
            this.kind = kind;
            this.plural = plural;
        }

        static Kind of(String name) {
            for (Kind k : values()) {
                if (k.kind.equalsIgnoreCase(name.trim()) || k.plural.equalsIgnoreCase(name.trim())) {
                    return k;
                }
            }
            throw new IllegalStateException("parley.registry.kubernetes.kinds has '" + name + "'; expected any of "
                    + java.util.Arrays.stream(values()).map(k -> k.kind).toList());
        }
    }

    private record Snapshot(List<DeclaredModel> models, List<DeploymentInfo> deployments) {
    }

    private final boolean enabled;
    private final RegistryConfig.Kubernetes k8s;
    private final Instance<KubernetesClient> clients;
    private final Event<SourceChanged> changed;
    private final ClusterView view;
    private final Clock clock = Clock.systemUTC();
    private final ObjectMapper json = new ObjectMapper();
    private final Set<Kind> kinds;

    private final Map<Kind, List<Watched<GenericKubernetesResource>>> custom = new ConcurrentHashMap<>();
    private final List<Watched<Pod>> pods = new CopyOnWriteArrayList<>();
    private final List<Watched<Service>> services = new CopyOnWriteArrayList<>();
    private final List<Watched<?>> all = new CopyOnWriteArrayList<>();
    /** Parsed objects by uid, kept while their resource version is unchanged. */
    private final Map<String, Map.Entry<String, Object>> parsed = new ConcurrentHashMap<>();
    private final AtomicBoolean rebuildPending = new AtomicBoolean();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "registry-k8s-rebuild");
        t.setDaemon(true);
        return t;
    });
    private volatile Snapshot snapshot = new Snapshot(List.of(), List.of());
    private volatile boolean started;
    private volatile boolean stale;

    public KubernetesModelSource(RegistryConfig config, CredentialsConfig credentials,
            Instance<KubernetesClient> clients, Event<SourceChanged> changed) {
        this.enabled = config.source().contains(SourceKind.KUBERNETES);
        this.k8s = config.kubernetes();
        this.clients = clients;
        this.changed = changed;
        PodMatcher matcher = new PodMatcher(k8s.matching());
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("temperature", config.defaults().temperature());
        defaults.put("top_p", config.defaults().topP());
        this.view = new ClusterView(matcher, new ServingEvaluator(matcher, k8s.defaultStartupTimeout()),
                new EndpointResolver(k8s.endpoints(), credentials.allowedEnvNames()), k8s.engineType(),
                config.defaults().task(),
                ModelTraits.defaults(Collections.unmodifiableMap(defaults)));
        this.kinds = enabled ? k8s.kinds().stream().map(Kind::of).collect(java.util.stream.Collectors
                .toCollection(() -> java.util.EnumSet.noneOf(Kind.class))) : Set.of();
    }

    void onStart(@Observes StartupEvent event) {
        if (enabled) {
            start();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        all.forEach(Watched::stop);
        executor.shutdownNow();
    }

    private void start() {
        KubernetesClient client = clients.get();
        List<String> namespaces = k8s.namespaces().filter(l -> !l.isEmpty())
                .orElseGet(() -> List.of(Optional.ofNullable(client.getNamespace()).orElse("default")));
        Log.infof("kubernetes source: watching %s and pods%s in namespace(s) %s",
                kinds.stream().map(k -> k.kind).toList(), k8s.endpoints().service() ? ", services" : "", namespaces);
        List<Optional<String>> targets = namespaces.contains(ALL) ? List.of(Optional.empty())
                : namespaces.stream().map(Optional::of).toList();
        for (Optional<String> ns : targets) {
            for (Kind kind : kinds) {
                ResourceDefinitionContext context = new ResourceDefinitionContext.Builder().withGroup(GROUP)
                        .withVersion(VERSION).withKind(kind.kind).withPlural(kind.plural).withNamespaced(true).build();
                custom.computeIfAbsent(kind, k -> new CopyOnWriteArrayList<>()).add(watch(kind.plural + "." + GROUP,
                        client.genericKubernetesResources(context), ns, selector(kind)));
            }
            pods.add(watch("pods", client.pods(), ns, k8s.podSelector()));
            if (k8s.endpoints().service()) {
                services.add(watch("services", client.services(), ns, k8s.serviceSelector()));
            }
        }
        started = true;
        long every = Math.max(50, k8s.watchCheck().toMillis());
        executor.scheduleWithFixedDelay(this::checkWatches, every, every, TimeUnit.MILLISECONDS);
        // start-up progress ("starting for 12 min ...") moves with the clock, not with events
        executor.scheduleWithFixedDelay(this::scheduleRebuild, 30, 30, TimeUnit.SECONDS);
    }

    private Optional<String> selector(Kind kind) {
        return switch (kind) {
            case BUNDLE_DEPLOYMENT -> k8s.bundleDeploymentSelector();
            case BUNDLE -> k8s.bundleSelector();
            case MODEL_DEPLOYMENT -> k8s.modelDeploymentSelector();
            case MODEL_BUNDLE -> k8s.modelBundleSelector();
            case MODEL -> k8s.modelSelector();
            case MODEL_PROFILE -> k8s.modelProfileSelector();
        };
    }

    private <T extends HasMetadata> Watched<T> watch(String kind, MixedOperation<T, ?, ?> operation,
            Optional<String> namespace, Optional<String> selector) {
        String description = kind + " in " + namespace.orElse("all namespaces");
        Watched<T> watched = new Watched<>(kind, description, () -> {
            FilterWatchListDeletable<T, ?, ?> target = namespace.isPresent() ? operation.inNamespace(namespace.get())
                    : operation.inAnyNamespace();
            for (Map.Entry<String, String> label : LabelSelectors.parse(selector.orElse("")).entrySet()) {
                target = label.getValue() == null ? target.withLabel(label.getKey())
                        : target.withLabel(label.getKey(), label.getValue());
            }
            return target.runnableInformer(k8s.resync().toMillis());
        }, this::scheduleRebuild);
        all.add(watched);
        watched.start();
        return watched;
    }

    private void checkWatches() {
        try {
            Instant now = clock.instant();
            boolean any = false;
            for (Watched<?> w : all) {
                any |= w.check(now, k8s.watchCheck());
            }
            boolean nowStale = all.stream().anyMatch(w -> w.down(now).map(d -> d.compareTo(k8s.staleAfter()) > 0)
                    .orElse(false));
            if (nowStale != stale) {
                stale = nowStale;
                Log.warnf(nowStale ? "kubernetes view is stale: %s" : "kubernetes view is current again%s",
                        nowStale ? notReadyReason().orElse("") : "");
                any = true;
            }
            if (any) {
                scheduleRebuild();
            }
        } catch (RuntimeException e) {
            Log.warnf("checking the watches failed: %s", e.toString());
        }
    }

    void scheduleRebuild() {
        if (rebuildPending.compareAndSet(false, true)) {
            try {
                executor.execute(() -> {
                    rebuildPending.set(false);
                    try {
                        rebuild();
                    } catch (RuntimeException e) {
                        Log.errorf(e, "rebuilding the kubernetes view failed");
                    }
                });
            } catch (RejectedExecutionException shuttingDown) {
                rebuildPending.set(false);
            }
        }
    }

    void rebuild() {
        List<Resources.Deployment> deployments = new ArrayList<>();
        deployments.addAll(parseAll(Kind.BUNDLE_DEPLOYMENT, o -> Resources.deployment(o, Generation.LEGACY)));
        deployments.addAll(parseAll(Kind.MODEL_DEPLOYMENT, o -> Resources.deployment(o, Generation.CURRENT)));
        var input = new ClusterView.Input(deployments,
                byKey(parseAll(Kind.BUNDLE, o -> Resources.bundle(o, Generation.LEGACY)), b -> b.meta()),
                byKey(parseAll(Kind.MODEL_BUNDLE, o -> Resources.bundle(o, Generation.CURRENT)), b -> b.meta()),
                byKey(parseAll(Kind.MODEL, Resources::model), m -> m.meta()),
                byKey(parseAll(Kind.MODEL_PROFILE, Resources::profile), p -> p.meta()),
                podsByNamespace(), servicesByKey());
        var out = view.build(input, clock.instant());
        snapshot = new Snapshot(out.models(), out.deployments());
        changed.fire(new SourceChanged(NAME));
    }

    @SuppressWarnings("unchecked")
    private <R> List<R> parseAll(Kind kind, Function<JsonNode, R> parser) {
        List<R> out = new ArrayList<>();
        for (Watched<GenericKubernetesResource> w : custom.getOrDefault(kind, List.of())) {
            for (GenericKubernetesResource item : w.items()) {
                String uid = kind + "/" + item.getMetadata().getNamespace() + "/" + item.getMetadata().getName();
                String version = String.valueOf(item.getMetadata().getResourceVersion());
                var cached = parsed.get(uid);
                if (cached != null && cached.getKey().equals(version)) {
                    out.add((R) cached.getValue());
                    continue;
                }
                R value = parser.apply(json.valueToTree(item));
                parsed.put(uid, Map.entry(version, value));
                out.add(value);
            }
        }
        return out;
    }

    private static <R> Map<String, R> byKey(List<R> items, Function<R, Resources.Meta> meta) {
        Map<String, R> out = new HashMap<>();
        for (R item : items) {
            out.put(meta.apply(item).namespace() + "/" + meta.apply(item).name(), item);
        }
        return out;
    }

    private Map<String, List<Pod>> podsByNamespace() {
        Map<String, List<Pod>> out = new HashMap<>();
        for (Watched<Pod> w : pods) {
            for (Pod p : w.items()) {
                out.computeIfAbsent(p.getMetadata().getNamespace(), k -> new ArrayList<>()).add(p);
            }
        }
        return out;
    }

    private Map<String, Service> servicesByKey() {
        Map<String, Service> out = new HashMap<>();
        for (Watched<Service> w : services) {
            for (Service s : w.items()) {
                out.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s);
            }
        }
        return out;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean enabled() {
        return enabled;
    }

    @Override
    public boolean ready() {
        return started && !stale && all.stream().allMatch(Watched::synced);
    }

    @Override
    public boolean stale() {
        return stale;
    }

    @Override
    public Optional<String> notReadyReason() {
        if (!started) {
            return Optional.of("informers not started");
        }
        Instant now = clock.instant();
        List<String> down = all.stream().filter(w -> w.down(now).isPresent())
                .map(w -> "watch of " + w.description + " down for " + w.down(now).get().toSeconds() + " s"
                        + (w.lastError().isBlank() ? "" : " (" + w.lastError() + ")"))
                .toList();
        if (stale) {
            return Optional.of(String.join("; ", down));
        }
        List<String> pending = all.stream().filter(w -> !w.synced()).map(w -> w.description).toList();
        return pending.isEmpty() ? Optional.empty() : Optional.of("informers not synced: " + pending);
    }

    @Override
    public List<String> notes() {
        return all.stream().filter(Watched::missing)
                .map(w -> w.description + ": custom resource definition not installed").toList();
    }

    @Override
    public List<DeclaredModel> models() {
        return snapshot.models();
    }

    @Override
    public List<DeploymentInfo> deployments() {
        return snapshot.deployments();
    }
}
