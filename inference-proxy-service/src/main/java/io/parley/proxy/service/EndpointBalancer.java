package io.parley.proxy.service;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.proxy.client.RegistryModel.Endpoint;
import io.parley.proxy.config.ProxyConfig;
import io.quarkus.logging.Log;

/**
 * Picks the endpoint with the fewest outstanding requests among those not ejected; ejects an endpoint for a while
 * after consecutive failures (connect errors, 5xx, timeouts before the first byte).
 */
@ApplicationScoped
public class EndpointBalancer {

    static final class State {
        final AtomicInteger outstanding = new AtomicInteger();
        final AtomicInteger consecutiveFailures = new AtomicInteger();
        volatile boolean ejected;
        volatile long ejectedUntil;

        boolean ejectedAt(long now) {
            return ejected && ejectedUntil - now > 0;
        }
    }

    private final ConcurrentHashMap<String, State> states = new ConcurrentHashMap<>();
    private final int ejectAfter;
    private final long ejectionNanos;

    EndpointBalancer(ProxyConfig config) {
        this.ejectAfter = config.upstream().ejectAfterFailures();
        this.ejectionNanos = config.upstream().ejectionTime().toNanos();
    }

    /** The least loaded endpoint not in {@code exclude}; ejected ones only when nothing else is left. */
    public Optional<Endpoint> pick(List<Endpoint> endpoints, Set<String> exclude) {
        long now = System.nanoTime();
        Endpoint best = null;
        int bestLoad = Integer.MAX_VALUE;
        Endpoint fallback = null;
        int fallbackLoad = Integer.MAX_VALUE;
        for (Endpoint e : endpoints) {
            if (exclude.contains(e.url())) {
                continue;
            }
            State s = state(e.url());
            int load = s.outstanding.get();
            if (s.ejectedAt(now)) {
                if (load < fallbackLoad) {
                    fallback = e;
                    fallbackLoad = load;
                }
            } else if (load < bestLoad) {
                best = e;
                bestLoad = load;
            }
        }
        return Optional.ofNullable(best != null ? best : fallback);
    }

    public void acquire(String url) {
        state(url).outstanding.incrementAndGet();
    }

    public void release(String url) {
        state(url).outstanding.decrementAndGet();
    }

    public void success(String url) {
        State s = state(url);
        s.consecutiveFailures.set(0);
        s.ejected = false;
    }

    public void failure(String url) {
        State s = state(url);
        int failures = s.consecutiveFailures.incrementAndGet();
        if (failures >= ejectAfter) {
            s.ejectedUntil = System.nanoTime() + ejectionNanos;
            s.ejected = true;
            s.consecutiveFailures.set(0);
            Log.warnf("endpoint %s ejected for %d ms after %d consecutive failures", url, ejectionNanos / 1_000_000,
                    failures);
        }
    }

    public int outstanding(String url) {
        return state(url).outstanding.get();
    }

    public boolean ejected(String url) {
        return state(url).ejectedAt(System.nanoTime());
    }

    private State state(String url) {
        return states.computeIfAbsent(url, u -> new State());
    }
}
