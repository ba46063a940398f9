package io.parley.registry.service;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.parley.registry.config.ConfigValidation;
import io.parley.registry.config.RegistryConfig;
import io.parley.registry.model.Endpoint;
import io.parley.registry.probe.EndpointProber;
import io.parley.registry.probe.HealthStore;
import io.parley.registry.probe.ProbeOutcome;
import io.parley.registry.source.SourceChanged;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;

/**
 * Probes every endpoint of every served model, concurrently, every {@code parley.registry.health.poll}; once at
 * startup; on demand (admin refresh); and, for endpoints never seen healthy, as soon as a source changes (so a model
 * whose pods just became ready is probed at once).
 */
@ApplicationScoped
public class HealthPoller {

    private final EndpointProber prober;
    private final HealthStore store;
    private final ModelViewService view;
    private final Duration ttl;

    public HealthPoller(EndpointProber prober, HealthStore store, ModelViewService view, RegistryConfig config) {
        this.prober = prober;
        this.store = store;
        this.view = view;
        this.ttl = config.health().ttl();
        ConfigValidation.requireTtlAbovePoll(config.health().poll(), config.health().ttl());
    }

    private volatile boolean stopping;

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
    }

    void onStart(@Observes StartupEvent event) {
        // eager: validates the configuration at startup (constructor) and makes models ready quickly
        probeAll().subscribe().with(ignored -> {
        }, failure -> Log.warnf("initial probe round failed: %s", failure.toString()));
    }

    @Scheduled(every = "${parley.registry.health.poll}", delayed = "${parley.registry.health.poll}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "health-poller")
    Uni<Void> scheduledRound() {
        return probeAll();
    }

    /** One probe round over every endpoint of every served model; the Uni completes when all are recorded. */
    public Uni<Void> probeAll() {
        return probe(view.endpointsToProbe());
    }

    void onSourceChanged(@Observes SourceChanged event) {
        Instant now = Instant.now();
        Set<Endpoint> unverified = view.endpointsToProbe().stream()
                .filter(e -> store.get(e.url())
                        .flatMap(h -> h.lastSuccessAt())
                        .map(at -> Duration.between(at, now).compareTo(ttl) > 0)
                        .orElse(true))
                .collect(Collectors.toSet());
        if (!unverified.isEmpty()) {
            probe(unverified).subscribe().with(ignored -> {
            }, failure -> Log.warnf("probe after source change failed: %s", failure.toString()));
        }
    }

    private Uni<Void> probe(Set<Endpoint> endpoints) {
        if (stopping) {
            return Uni.createFrom().voidItem();
        }
        if (endpoints.isEmpty()) {
            return Uni.createFrom().voidItem().invoke(this::refreshView);
        }
        List<Uni<ProbeOutcome>> probes = endpoints.stream()
                .map(e -> prober.probe(e).invoke(this::record))
                .toList();
        return Uni.join().all(probes).andCollectFailures()
                .invoke(this::refreshView)
                .replaceWithVoid();
    }

    private void refreshView() {
        if (!stopping) {
            view.refresh();
        }
    }

    private void record(ProbeOutcome outcome) {
        Instant now = Instant.now();
        if (outcome.ok()) {
            boolean wasFailing = store.get(outcome.url()).map(h -> h.consecutiveFailures() > 0).orElse(false);
            store.recordSuccess(outcome.url(), now, outcome.listedModels());
            if (wasFailing) {
                Log.infof("upstream %s is healthy again", outcome.url());
            }
        } else {
            store.recordFailure(outcome.url(), now, outcome.error().orElse("unknown error"));
            int failures = store.get(outcome.url()).map(h -> h.consecutiveFailures()).orElse(1);
            if (failures == 1 || failures % 20 == 0) {
                Log.warnf("health probe of %s failed %dx: %s", outcome.url(), failures, outcome.error().orElse(""));
            }
        }
    }
}
