package io.parley.registry.kubernetes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.parley.registry.config.RegistryConfig;
import io.parley.registry.config.RegistryConfig.SourceKind;
import io.parley.registry.crd.Bundle;
import io.parley.registry.crd.BundleDeployment;
import io.parley.registry.model.DeclaredModel;
import io.parley.registry.model.DeploymentInfo;
import io.parley.registry.model.Endpoint;
import io.parley.registry.model.ModelState;
import io.parley.registry.model.ModelTraits;
import io.parley.registry.model.Serving;
import io.parley.registry.source.ModelSource;
import io.parley.registry.source.SourceChanged;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Models of BundleDeployments, from informers on BundleDeployment, Bundle, Pod and Service in the configured
 * namespaces. Every informer event schedules one rebuild of the picture from the informer caches (coalesced), and a
 * {@link SourceChanged}. Never reads the API server on a request path. Informers re-list on expired watches (410 Gone)
 * and keep retrying on errors.
 */
@ApplicationScoped
public class KubernetesModelSource implements ModelSource {

    public static final String NAME = "kubernetes";
    private static final String ALL = "*";

    private record Snapshot(List<DeclaredModel> models, List<DeploymentInfo> deployments) {
    }

    private final boolean enabled;
    private final RegistryConfig config;
    private final RegistryConfig.Kubernetes k8s;
    private final Instance<KubernetesClient> clients;
    private final Event<SourceChanged> changed;
    private final PodMatcher matcher;
    private final ServingEvaluator serving;
    private final EndpointResolver resolver;

    private final List<SharedIndexInformer<BundleDeployment>> deploymentInformers = new CopyOnWriteArrayList<>();
    private final List<SharedIndexInformer<Bundle>> bundleInformers = new CopyOnWriteArrayList<>();
    private final List<SharedIndexInformer<Pod>> podInformers = new CopyOnWriteArrayList<>();
    private final List<SharedIndexInformer<Service>> serviceInformers = new CopyOnWriteArrayList<>();
    private final List<Named> informers = new CopyOnWriteArrayList<>();
    private final AtomicBoolean rebuildPending = new AtomicBoolean();
    private final ExecutorService rebuilder = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "registry-k8s-rebuild");
        t.setDaemon(true);
        return t;
    });
    private volatile Snapshot snapshot = new Snapshot(List.of(), List.of());
    private volatile boolean started;

    private record Named(String description, SharedIndexInformer<?> informer) {
    }

    public KubernetesModelSource(RegistryConfig config, Instance<KubernetesClient> clients,
            Event<SourceChanged> changed) {
        this.enabled = config.source().contains(SourceKind.KUBERNETES);
        this.config = config;
        this.k8s = config.kubernetes();
        this.clients = clients;
        this.changed = changed;
        this.matcher = new PodMatcher(k8s.matching());
        this.serving = new ServingEvaluator(k8s.matching());
        this.resolver = new EndpointResolver(k8s.endpoints());
    }

    void onStart(@Observes StartupEvent event) {
        if (enabled) {
            start();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        informers.forEach(n -> n.informer().stop());
        rebuilder.shutdownNow();
    }

    private void start() {
        KubernetesClient client = clients.get();
        List<String> namespaces = k8s.namespaces().filter(l -> !l.isEmpty())
                .orElseGet(() -> List.of(Optional.ofNullable(client.getNamespace()).orElse("default")));
        Log.infof("kubernetes source: watching namespace(s) %s", namespaces);
        List<Optional<String>> targets = namespaces.contains(ALL) ? List.of(Optional.empty())
                : namespaces.stream().map(Optional::of).toList();
        for (Optional<String> ns : targets) {
            deploymentInformers.add(inform(client.resources(BundleDeployment.class), ns,
                    k8s.bundleDeploymentSelector(), "bundledeployments"));
            bundleInformers.add(inform(client.resources(Bundle.class), ns, k8s.bundleSelector(), "bundles"));
            podInformers.add(inform(client.pods(), ns, k8s.podSelector(), "pods"));
            if (k8s.endpoints().service()) {
                serviceInformers.add(inform(client.services(), ns, k8s.serviceSelector(), "services"));
            }
        }
        started = true;
    }

    private <T extends HasMetadata> SharedIndexInformer<T> inform(MixedOperation<T, ?, ?> operation,
            Optional<String> namespace, Optional<String> selector, String kind) {
        FilterWatchListDeletable<T, ?, ?> target = namespace.isPresent() ? operation.inNamespace(namespace.get())
                : operation.inAnyNamespace();
        for (Map.Entry<String, String> label : LabelSelectors.parse(selector.orElse("")).entrySet()) {
            target = label.getValue() == null ? target.withLabel(label.getKey())
                    : target.withLabel(label.getKey(), label.getValue());
        }
        String description = kind + " in " + namespace.orElse("all namespaces");
        SharedIndexInformer<T> informer = target.runnableInformer(k8s.resync().toMillis());
        informer.addEventHandler(new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                scheduleRebuild();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                scheduleRebuild();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                scheduleRebuild();
            }
        });
        informer.exceptionHandler((isStarted, t) -> {
            Log.warnf("informer for %s: %s (retrying)", description, t.toString());
            return true;
        });
        informers.add(new Named(description, informer));
        informer.start().whenComplete((ignored, failure) -> {
            if (failure == null) {
                Log.infof("informer for %s synced", description);
                scheduleRebuild();
            } else {
                Log.warnf("informer for %s failed to start: %s", description, failure.toString());
            }
        });
        return informer;
    }

    private void scheduleRebuild() {
        if (rebuildPending.compareAndSet(false, true)) {
            try {
                rebuilder.execute(() -> {
                    rebuildPending.set(false);
                    try {
                        rebuild();
                    } catch (RuntimeException e) {
                        Log.errorf(e, "rebuilding the kubernetes view failed");
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                rebuildPending.set(false);
            }
        }
    }

    void rebuild() {
        Map<String, List<BundleDeployment>> deployments = byNamespace(deploymentInformers);
        Map<String, Bundle> bundles = byKey(bundleInformers);
        Map<String, Service> services = byKey(serviceInformers);
        Map<String, List<Pod>> pods = byNamespace(podInformers);

        List<DeclaredModel> models = new ArrayList<>();
        List<DeploymentInfo> infos = new ArrayList<>();
        for (var entry : new TreeMap<>(deployments).entrySet()) {
            String ns = entry.getKey();
            List<BundleDeployment> inNs = entry.getValue().stream()
                    .sorted(Comparator.comparing(d -> d.getMetadata().getName())).toList();
            var matched = matcher.match(
                    inNs.stream().map(d -> d.getMetadata().getName()).collect(Collectors.toCollection(TreeSet::new)),
                    pods.getOrDefault(ns, List.of()));
            for (BundleDeployment d : inNs) {
                String name = d.getMetadata().getName();
                String bundleName = d.getSpec() == null ? null : d.getSpec().getBundle();
                Optional<Bundle> bundle = Optional.ofNullable(bundleName).map(b -> bundles.get(ns + "/" + b));
                var result = serving.evaluate(d, matched.getOrDefault(name, List.of()));
                var resolved = resolver.resolve(d, Optional.ofNullable(services.get(ns + "/" + name)));
                List<Endpoint> endpoints = resolved.map(r -> List.of(r.endpoint())).orElse(List.of());

                Serving served;
                List<String> modelNames;
                if (bundleName == null || bundleName.isBlank()) {
                    served = Serving.no(ModelState.NOT_FOUND, "deployment " + name + " names no bundle");
                    modelNames = List.of(name);
                } else if (bundle.isEmpty()) {
                    served = Serving.no(ModelState.NOT_FOUND, "bundle " + bundleName + " not found");
                    modelNames = List.of(name);
                } else {
                    served = result.serving();
                    modelNames = bundle.get().getSpec() == null || bundle.get().getSpec().getModels() == null
                            ? List.of()
                            : new TreeSet<>(bundle.get().getSpec().getModels().keySet()).stream().toList();
                }
                for (String model : modelNames) {
                    models.add(new DeclaredModel(model, name, Optional.of(ns), NAME, k8s.engineType(),
                            config.defaults().task(), endpoints, served, traits()));
                }
                infos.add(new DeploymentInfo(name, Optional.of(ns), NAME, Optional.ofNullable(bundleName), served,
                        endpoints, resolved.map(EndpointResolver.Resolved::by), bundle.isPresent() ? modelNames
                                : List.of(),
                        result.groups(), result.pods()));
            }
        }
        snapshot = new Snapshot(List.copyOf(models), List.copyOf(infos));
        changed.fire(new SourceChanged(NAME));
    }

    private ModelTraits traits() {
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("temperature", config.defaults().temperature());
        defaults.put("top_p", config.defaults().topP());
        return ModelTraits.defaults(java.util.Collections.unmodifiableMap(defaults));
    }

    private static <T extends HasMetadata> Map<String, List<T>> byNamespace(List<SharedIndexInformer<T>> informers) {
        Map<String, List<T>> out = new HashMap<>();
        for (SharedIndexInformer<T> informer : informers) {
            for (T item : informer.getStore().list()) {
                out.computeIfAbsent(item.getMetadata().getNamespace(), k -> new ArrayList<>()).add(item);
            }
        }
        return out;
    }

    private static <T extends HasMetadata> Map<String, T> byKey(List<SharedIndexInformer<T>> informers) {
        Map<String, T> out = new HashMap<>();
        for (SharedIndexInformer<T> informer : informers) {
            for (T item : informer.getStore().list()) {
                out.put(item.getMetadata().getNamespace() + "/" + item.getMetadata().getName(), item);
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
        return started && informers.stream().allMatch(n -> n.informer().hasSynced());
    }

    @Override
    public Optional<String> notReadyReason() {
        if (!started) {
            return Optional.of("informers not started");
        }
        List<String> pending = informers.stream().filter(n -> !n.informer().hasSynced())
                .map(Named::description).toList();
        return pending.isEmpty() ? Optional.empty() : Optional.of("informers not synced: " + pending);
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
