package io.parley.registry.service;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;

import io.parley.registry.config.RegistryConfig;
import io.parley.registry.model.DeclaredModel;
import io.parley.registry.model.Endpoint;
import io.parley.registry.model.ModelStatus;
import io.parley.registry.probe.HealthStore;
import io.parley.registry.source.ModelSource;
import io.parley.registry.source.SourceChanged;
import io.quarkus.logging.Log;

/**
 * The registry's view: every model of every enabled source, evaluated against the health store. Recomputed on every
 * source or health change; a change of anything but the probe timestamps is a new revision, pushed to change-stream
 * subscribers.
 */
@ApplicationScoped
public class ModelViewService {

    private static final Comparator<ModelStatus> ORDER = Comparator
            .comparing((ModelStatus s) -> s.model().name())
            .thenComparing(s -> s.model().namespace().orElse(""))
            .thenComparing(s -> s.model().deployment());

    private final List<ModelSource> sources;
    private final HealthStore health;
    private final ModelEvaluator evaluator;
    private final Clock clock;
    private final List<ChangeFeed> feeds = new CopyOnWriteArrayList<>();

    private final Object lock = new Object();
    private long revision;
    private List<Object> fingerprint = List.of();
    /** Per entry id, what a follower compares: the entry without its probe time and reason counters. */
    private Map<String, Object> entries = Map.of();
    /** The last revision held two entries with one id: the next one cannot be a delta either. */
    private boolean entriesAmbiguous;
    private ModelsSnapshot current = new ModelsSnapshot(0, List.of(), false);

    public ModelViewService(@Any Instance<ModelSource> sources, HealthStore health, RegistryConfig config) {
        this.sources = sources.stream().filter(ModelSource::enabled).toList();
        this.health = health;
        this.evaluator = new ModelEvaluator(config.health().ttl(), config.health().requireListedModel());
        io.parley.registry.model.ModelCapabilities.requireKnown("parley.registry.defaults", config.defaults().task(),
                List.of());
        this.clock = Clock.systemUTC();
    }

    /** Every model, evaluated now. */
    public List<ModelStatus> all() {
        return refresh().models();
    }

    /** Only the running ones. */
    public List<ModelStatus> running() {
        return all().stream().filter(ModelStatus::ready).toList();
    }

    /** A model by name, preferring a ready deployment of it. */
    public Optional<ModelStatus> find(String name) {
        return all().stream()
                .filter(s -> s.model().name().equals(name))
                .min(Comparator.comparing((ModelStatus s) -> !s.ready()));
    }

    /** The declared models of every enabled source (not evaluated). */
    public List<DeclaredModel> declared() {
        List<DeclaredModel> out = new ArrayList<>();
        for (ModelSource source : sources) {
            out.addAll(source.models());
        }
        return out;
    }

    /** Every deployment of every enabled source. */
    public List<io.parley.registry.model.DeploymentInfo> deployments() {
        List<io.parley.registry.model.DeploymentInfo> out = new ArrayList<>();
        for (ModelSource source : sources) {
            out.addAll(source.deployments());
        }
        return out;
    }

    /** The distinct endpoints of served models: what the health poller probes. */
    public Set<Endpoint> endpointsToProbe() {
        return declared().stream()
                .filter(m -> m.serving().served())
                .flatMap(m -> m.endpoints().stream())
                .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
    }

    public List<ModelSource> sources() {
        return sources;
    }

    public ModelsSnapshot snapshot() {
        return refresh();
    }

    /**
     * A follower of the change stream: its first event is the current snapshot, then every revision in order as a
     * {@link ModelsDelta} (or a snapshot, see {@link ChangeFeed}). Registration and the first event are atomic with
     * respect to new revisions. Cancelling the feed's subscription unregisters it.
     */
    public ChangeFeed follow(int maxBacklog) {
        ChangeFeed[] feed = new ChangeFeed[1];
        feed[0] = new ChangeFeed(maxBacklog, () -> feeds.remove(feed[0]));
        synchronized (lock) {
            feeds.add(feed[0]);
            feed[0].offer(current, current);
        }
        return feed[0];
    }

    /** Followers registered now. */
    public int followers() {
        return feeds.size();
    }

    void onSourceChanged(@Observes SourceChanged event) {
        refresh();
    }

    /** A reason without its counters, so a model failing the same way every round is not a change every round. */
    private static String stable(String reason) {
        return reason.replaceAll("failed \\d+x", "failed Nx").replaceAll("\\d+s ago", "Ns ago");
    }

    /** The part of an entry whose change is a new revision: not the probe time, not a reason's counters. */
    private static Object entryFingerprint(ModelStatus s) {
        return List.of(s.model(), s.state(), s.reason().map(ModelViewService::stable), s.endpoints(), s.maxModelLen());
    }

    /**
     * Recompute the view; publish a new revision when it changed, to every follower as the delta from the previous
     * revision: the entries whose fingerprint changed (upserted) and the ids that left (removed). A view holding two
     * entries with the same id (two kinds of deployment sharing a name in one namespace) cannot be told apart by id,
     * so that revision and the next are published as snapshots instead.
     */
    public ModelsSnapshot refresh() {
        Instant now = clock.instant();
        List<ModelStatus> models = declared().stream()
                .map(m -> evaluator.evaluate(m, url -> health.get(url), now))
                .sorted(ORDER)
                .toList();
        boolean stale = sources.stream().anyMatch(ModelSource::stale);
        List<Object> newFingerprint = new ArrayList<>();
        newFingerprint.add(stale);
        models.forEach(s -> newFingerprint.add(entryFingerprint(s)));
        synchronized (lock) {
            if (Objects.equals(newFingerprint, fingerprint)) {
                current = new ModelsSnapshot(revision, models, stale);
                return current;
            }
            fingerprint = newFingerprint;
            revision++;
            current = new ModelsSnapshot(revision, models, stale);
            Map<String, Object> newEntries = new HashMap<>();
            List<ModelStatus> upserted = new ArrayList<>();
            boolean ambiguous = false;
            for (int i = 0; i < models.size(); i++) {
                ModelStatus s = models.get(i);
                Object entry = newFingerprint.get(i + 1);
                if (newEntries.put(s.model().id(), entry) != null) {
                    ambiguous = true;
                }
                if (!entry.equals(entries.get(s.model().id()))) {
                    upserted.add(s);
                }
            }
            ViewEvent event;
            if (ambiguous || entriesAmbiguous) {
                event = current;
            } else {
                Set<String> gone = new HashSet<>(entries.keySet());
                gone.removeAll(newEntries.keySet());
                event = new ModelsDelta(revision, revision - 1, stale, upserted, gone.stream().sorted().toList());
            }
            entries = newEntries;
            entriesAmbiguous = ambiguous;
            Log.infof("model view revision %d: %d model(s), %d running, %s", revision, models.size(),
                    models.stream().filter(ModelStatus::ready).count(),
                    event instanceof ModelsDelta d ? d.upserted().size() + " changed, " + d.removed().size() + " removed"
                            : "published whole (duplicate entry ids)");
            for (ChangeFeed feed : feeds) {
                try {
                    feed.offer(event, current);
                } catch (RuntimeException e) {
                    Log.warnf("change-stream follower failed: %s", e.toString());
                }
            }
            return current;
        }
    }
}
