package io.parley.registry.kubernetes;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.quarkus.logging.Log;

/**
 * One watched kind in one namespace: its informer, whether its CRD is missing (the list answers 404), and since when its
 * watch has been down. {@link #relist()} replaces the informer by a fresh one (a new list, then a watch) and swaps it in
 * once that has synced, so objects deleted while the watch was down disappear.
 */
final class Watched<T extends HasMetadata> {

    final String kind;
    final String description;
    private final Supplier<SharedIndexInformer<T>> factory;
    private final Runnable changed;
    private volatile SharedIndexInformer<T> informer;
    private volatile SharedIndexInformer<T> replacement;
    private volatile boolean missing;
    private volatile boolean everSynced;
    private volatile Instant downSince;
    private volatile Instant lastErrorAt;
    private volatile String lastError = "";

    Watched(String kind, String description, Supplier<SharedIndexInformer<T>> factory, Runnable changed) {
        this.kind = kind;
        this.description = description;
        this.factory = factory;
        this.changed = changed;
    }

    void start() {
        informer = open();
    }

    private SharedIndexInformer<T> open() {
        SharedIndexInformer<T> created = factory.get();
        created.addEventHandler(new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                changed.run();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                changed.run();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                changed.run();
            }
        });
        created.exceptionHandler((isStarted, t) -> {
            onError(t);
            return true;
        });
        created.start().whenComplete((ignored, failure) -> {
            if (failure == null) {
                onSynced(created);
            } else {
                Log.warnf("informer for %s failed to start: %s", description, failure.toString());
            }
        });
        return created;
    }

    private void onSynced(SharedIndexInformer<T> synced) {
        if (synced == replacement) {
            SharedIndexInformer<T> old = informer;
            informer = synced;
            replacement = null;
            old.stop();
            Log.infof("informer for %s listed again after its watch was down", description);
        } else {
            Log.infof("informer for %s synced", description);
        }
        everSynced = true;
        if (missing) {
            missing = false;
            Log.infof("%s: the custom resource definition is installed now", description);
        }
        changed.run();
    }

    private void onError(Throwable t) {
        lastErrorAt = Instant.now();
        lastError = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (notFound(t) && !everSynced) {
            if (!missing) {
                missing = true;
                Log.warnf("%s: the API server does not know this kind (its custom resource definition is not "
                        + "installed); the other kinds are watched regardless, this one is retried", description);
                changed.run();
            }
            return;
        }
        Log.infof("informer for %s: %s (retrying)", description, t.toString());
    }

    /** A 404 anywhere in the cause chain: the API server has no such resource (its CRD is not installed). */
    private static boolean notFound(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof KubernetesClientException k && k.getCode() == 404) {
                return true;
            }
        }
        return false;
    }

    /** The cached objects (of the informer in use). */
    List<T> items() {
        return informer == null ? List.of() : informer.getStore().list();
    }

    boolean missing() {
        return missing;
    }

    boolean synced() {
        return missing || (informer != null && informer.hasSynced());
    }

    /**
     * Called every check: notes when the watch went down and, once it is back, lists again.
     *
     * @return whether the watch state changed (down, or back)
     */
    boolean check(Instant now, Duration checkEvery) {
        SharedIndexInformer<T> current = informer;
        if (current == null || missing || !everSynced) {
            return false;
        }
        boolean erroring = lastErrorAt != null && Duration.between(lastErrorAt, now).compareTo(checkEvery.multipliedBy(2)) <= 0;
        boolean watching = current.isWatching() && !erroring;
        if (!watching) {
            if (downSince == null) {
                downSince = now;
                Log.warnf("watch of %s is down: %s", description, lastError);
                return true;
            }
            return false;
        }
        if (downSince != null && replacement == null) {
            Log.infof("watch of %s is back after %d s; listing it again", description,
                    Duration.between(downSince, now).toSeconds());
            downSince = null;
            replacement = open();
            return true;
        }
        return false;
    }

    /** How long the watch has been down, when it is. */
    Optional<Duration> down(Instant now) {
        Instant since = downSince;
        return since == null ? Optional.empty() : Optional.of(Duration.between(since, now));
    }

    String lastError() {
        return lastError;
    }

    void stop() {
        SharedIndexInformer<T> r = replacement;
        if (r != null) {
            r.stop();
        }
        if (informer != null) {
            informer.stop();
        }
    }
}
