package io.parley.proxy.service;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.proxy.client.RegistryClient;
import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.config.ProxyConfig;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * The proxy's view of the registry: refreshed periodically, on demand when an unknown model is asked for, and kept (and
 * served) while the registry is down.
 */
@ApplicationScoped
public class ModelCatalog {

    /** What a model name resolves to. */
    public sealed interface Resolution permits Ready, NotReady, NotFound {
    }

    public record Ready(RegistryModel model) implements Resolution {
    }

    public record NotReady(RegistryModel model) implements Resolution {
        public String reason() {
            String state = model.state() == null ? "NotReady" : model.state();
            return model.reason() == null || model.reason().isBlank() ? "model '" + model.name() + "' is " + state
                    : "model '" + model.name() + "' is " + state + ": " + model.reason();
        }
    }

    public record NotFound(String name) implements Resolution {
    }

    private record Snapshot(Map<String, RegistryModel> running, Map<String, RegistryModel> all, boolean loaded) {
        static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of(), false);
    }

    private final RegistryClient registry;
    private final long missRefreshMinNanos;
    private final AtomicLong lastMissRefresh = new AtomicLong(System.nanoTime() - Long.MAX_VALUE / 2);
    private volatile Snapshot snapshot = Snapshot.EMPTY;
    private volatile boolean registryReachable;
    private volatile boolean followingChanges;
    /** Counts change-stream snapshots, so a listing fetched before the latest of them cannot replace it. */
    private final AtomicLong changes = new AtomicLong();

    private final UpstreamCredentials credentials;

    ModelCatalog(RegistryClient registry, ProxyConfig config, UpstreamCredentials credentials) {
        this.registry = registry;
        this.credentials = credentials;
        this.missRefreshMinNanos = config.registry().missRefreshMinInterval().toNanos();
    }

    @Scheduled(every = "${parley.proxy.registry.refresh-interval:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduledRefresh() {
        if (followingChanges) {
            return Uni.createFrom().voidItem(); // the change stream keeps the view current
        }
        return refresh().onFailure().recoverWithNull();
    }

    /** A full model list from the registry's change stream: replaces the view. */
    public void applyChange(long revision, List<RegistryModel> models) {
        Map<String, RegistryModel> running = new LinkedHashMap<>();
        Map<String, RegistryModel> all = new LinkedHashMap<>();
        for (RegistryModel m : models) {
            if (m.name() == null) {
                continue;
            }
            putPreferringReady(all, m);
            if (m.ready()) {
                putMergingEndpoints(running, m);
            }
        }
        changes.incrementAndGet();
        snapshot = new Snapshot(Map.copyOf(running), Map.copyOf(all), true);
        credentials.prefetch(all.values());
        registryReachable = true;
        Log.debugf("registry revision %d: %d running of %d model(s)", revision, running.size(), all.size());
    }

    /** While the change stream is connected the periodic refresh pauses; it resumes as the fallback when it drops. */
    public void followingChanges(boolean following) {
        this.followingChanges = following;
    }

    /**
     * Fetches both lists from the registry and replaces the snapshot; on failure the old snapshot stays. A listing whose
     * fetch began before the change stream delivered a snapshot is older than that snapshot and is dropped: it would
     * otherwise undo the change (a model that just became ready would vanish until the next change event, and while the
     * stream is followed the periodic refresh that could repair it is paused).
     */
    public Uni<Void> refresh() {
        long changesBefore = changes.get();
        return registry.fetch().invoke(listing -> {
            if (changes.get() != changesBefore) {
                Log.debugf("registry listing dropped: the change stream delivered a newer view while it was fetched");
                return;
            }
            Map<String, RegistryModel> running = new LinkedHashMap<>();
            for (RegistryModel m : listing.running()) {
                if (m.name() != null && !m.endpoints().isEmpty()) {
                    putMergingEndpoints(running, m);
                }
            }
            Map<String, RegistryModel> all = new LinkedHashMap<>();
            for (RegistryModel m : listing.all()) {
                if (m.name() != null) {
                    putPreferringReady(all, m);
                }
            }
            snapshot = new Snapshot(Map.copyOf(running), Map.copyOf(all), true);
            credentials.prefetch(all.values());
            if (!registryReachable) {
                Log.infof("registry reachable: %d running model(s)", running.size());
            }
            registryReachable = true;
        }).onFailure().invoke(e -> {
            if (registryReachable || !snapshot.loaded()) {
                Log.warnf("registry refresh failed (serving %s cached view): %s", snapshot.loaded() ? "the" : "an empty",
                        e.toString());
            }
            registryReachable = false;
        }).replaceWithVoid();
    }

    /**
     * Several deployments may serve the same model name (two BundleDeployments of one bundle, or a static endpoint
     * beside a cluster one): the running view joins their ready endpoints so the balancer and the retry before the
     * first byte can use all of them. The first entry's descriptive fields (deployment, engine) are kept.
     */
    static void putMergingEndpoints(Map<String, RegistryModel> view, RegistryModel m) {
        RegistryModel known = view.get(m.name());
        if (known == null) {
            view.put(m.name(), m);
            return;
        }
        Map<String, RegistryModel.Endpoint> byUrl = new LinkedHashMap<>();
        known.endpoints().forEach(e -> byUrl.putIfAbsent(e.url(), e));
        m.endpoints().forEach(e -> byUrl.putIfAbsent(e.url(), e));
        view.put(m.name(), new RegistryModel(known.name(), known.deployment(), known.namespace(), known.source(),
                known.engineType(), known.task(), known.state(), known.reason(), List.copyOf(byUrl.values()),
                known.maxModelLen()));
    }

    /** In the view of every model, a name served anywhere is Ready; otherwise the first entry's state and reason. */
    static void putPreferringReady(Map<String, RegistryModel> view, RegistryModel m) {
        RegistryModel known = view.get(m.name());
        if (known == null || (!known.ready() && m.ready())) {
            view.put(m.name(), m);
        } else if (known.ready() && m.ready()) {
            putMergingEndpoints(view, m);
        }
    }

    /** Resolves a model name; an unknown name refreshes the view first (at most every few hundred ms). */
    public Uni<Resolution> resolve(String name) {
        Resolution found = lookup(name);
        if (!(found instanceof NotFound) || followingChanges) {
            return Uni.createFrom().item(found);
        }
        long now = System.nanoTime();
        long last = lastMissRefresh.get();
        if (now - last < missRefreshMinNanos || !lastMissRefresh.compareAndSet(last, now)) {
            return Uni.createFrom().item(found);
        }
        return refresh().onFailure().recoverWithNull().map(v -> lookup(name));
    }

    public Resolution lookup(String name) {
        Snapshot s = snapshot;
        RegistryModel running = s.running().get(name);
        if (running != null) {
            return new Ready(running);
        }
        RegistryModel known = s.all().get(name);
        if (known != null) {
            return known.ready() ? new Ready(known) : new NotReady(known);
        }
        return new NotFound(name);
    }

    public List<RegistryModel> running() {
        return List.copyOf(snapshot.running().values());
    }

    public Optional<RegistryModel> running(String name) {
        return Optional.ofNullable(snapshot.running().get(name));
    }

    /** True once the registry answered at least once (the view may be stale while it is down). */
    public boolean loaded() {
        return snapshot.loaded();
    }

    public boolean registryReachable() {
        return registryReachable;
    }
}
