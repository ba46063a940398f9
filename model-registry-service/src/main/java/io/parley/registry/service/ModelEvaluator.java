package io.parley.registry.service;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import io.parley.registry.model.DeclaredModel;
import io.parley.registry.model.Endpoint;
import io.parley.registry.model.EndpointHealth;
import io.parley.registry.model.ModelState;
import io.parley.registry.model.ModelStatus;

/**
 * The rule of §3: a model is running only when its deployment is served, an endpoint is resolved, and that
 * endpoint's last probe succeeded within the TTL. Otherwise it gets a state and a reason a person can act on. Pure:
 * the clock and the health are inputs.
 */
public final class ModelEvaluator {

    private final Duration ttl;
    private final boolean requireListedModel;

    public ModelEvaluator(Duration ttl, boolean requireListedModel) {
        this.ttl = ttl;
        this.requireListedModel = requireListedModel;
    }

    public ModelStatus evaluate(DeclaredModel model, Function<String, Optional<EndpointHealth>> health, Instant now) {
        Optional<Instant> lastProbeAt = model.endpoints().stream()
                .map(e -> health.apply(e.url()))
                .flatMap(Optional::stream)
                .map(EndpointHealth::lastProbeAt)
                .max(Instant::compareTo);
        Optional<Integer> maxModelLen = model.traits().maxModelLen().or(() -> model.endpoints().stream()
                .map(e -> health.apply(e.url()))
                .flatMap(Optional::stream)
                .map(h -> h.listedModels().flatMap(listed -> listedLength(listed, model)))
                .flatMap(Optional::stream)
                .findFirst())
                .or(() -> model.traits().fallbackMaxModelLen());

        if (!model.serving().served()) {
            return new ModelStatus(model, model.serving().state(), model.serving().reason(), model.endpoints(),
                    maxModelLen, lastProbeAt);
        }
        if (model.endpoints().isEmpty()) {
            return new ModelStatus(model, ModelState.PENDING,
                    Optional.of("no endpoint resolved for deployment " + model.deployment()), List.of(), maxModelLen,
                    lastProbeAt);
        }
        List<Endpoint> healthy = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        boolean anyProbed = false;
        for (Endpoint endpoint : model.endpoints()) {
            Optional<EndpointHealth> h = health.apply(endpoint.url());
            anyProbed |= h.isPresent();
            Optional<String> problem = problem(model, endpoint, h, now);
            if (problem.isEmpty()) {
                healthy.add(endpoint);
            } else {
                problems.add(problem.get());
            }
        }
        if (!healthy.isEmpty()) {
            return new ModelStatus(model, ModelState.READY, Optional.empty(), List.copyOf(healthy), maxModelLen,
                    lastProbeAt);
        }
        return new ModelStatus(model, anyProbed ? ModelState.UNHEALTHY : ModelState.PENDING,
                Optional.of(String.join("; ", problems)), model.endpoints(), maxModelLen, lastProbeAt);
    }

    /** What the upstream reports for the model under its name or one of its aliases. */
    private static Optional<Integer> listedLength(java.util.Map<String, Optional<Integer>> listed, DeclaredModel m) {
        Optional<Integer> own = listed.getOrDefault(m.name(), Optional.empty());
        if (own.isPresent()) {
            return own;
        }
        return m.aliases().stream().map(a -> listed.getOrDefault(a, Optional.empty())).flatMap(Optional::stream)
                .findFirst();
    }

    private Optional<String> problem(DeclaredModel model, Endpoint endpoint, Optional<EndpointHealth> maybe,
            Instant now) {
        String modelName = model.name();
        if (maybe.isEmpty()) {
            return Optional.of("waiting for the first health probe of " + endpoint.url());
        }
        EndpointHealth h = maybe.get();
        if (h.consecutiveFailures() > 0) {
            return Optional.of("health probe failed " + h.consecutiveFailures() + "x: "
                    + h.lastError().orElse("unknown error"));
        }
        if (h.lastSuccessAt().isEmpty()) {
            return Optional.of("waiting for the first health probe of " + endpoint.url());
        }
        Duration age = Duration.between(h.lastSuccessAt().get(), now);
        if (age.compareTo(ttl) > 0) {
            return Optional.of("last successful health probe " + age.toSeconds() + "s ago, older than the TTL of "
                    + ttl.toSeconds() + "s");
        }
        if (requireListedModel && h.listedModels().isPresent() && !h.listedModels().get().containsKey(modelName)
                && model.aliases().stream().noneMatch(h.listedModels().get()::containsKey)) {
            return Optional.of("upstream " + endpoint.url() + " does not list model '" + modelName
                    + "' in /v1/models");
        }
        return Optional.empty();
    }
}
