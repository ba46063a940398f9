package io.parley.registry.probe;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.registry.model.EndpointHealth;

/** The latest probe outcome of every endpoint URL, in memory. */
@ApplicationScoped
public class HealthStore {

    private final Map<String, EndpointHealth> byUrl = new ConcurrentHashMap<>();

    public Optional<EndpointHealth> get(String url) {
        return Optional.ofNullable(byUrl.get(url));
    }

    public void recordSuccess(String url, Instant at, Optional<Map<String, Optional<Integer>>> listed) {
        byUrl.compute(url, (k, old) -> old == null ? EndpointHealth.firstSuccess(at, listed) : old.success(at, listed));
    }

    public void recordFailure(String url, Instant at, String error) {
        byUrl.compute(url, (k, old) -> old == null ? EndpointHealth.firstFailure(at, error) : old.failure(at, error));
    }

    /** Forget endpoints no source declares any more. */
    public void retainOnly(java.util.Set<String> urls) {
        byUrl.keySet().retainAll(urls);
    }
}
