package io.parley.registry.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.parley.registry.model.DeclaredModel;
import io.parley.registry.model.Endpoint;
import io.parley.registry.model.EndpointHealth;
import io.parley.registry.model.ModelState;
import io.parley.registry.model.ModelStatus;
import io.parley.registry.model.ModelTraits;
import io.parley.registry.model.Serving;

class ModelEvaluatorTest {

    static final Instant T0 = Instant.parse("2026-11-22T06:30:00Z");
    static final Endpoint EP = new Endpoint("http://up:8000", Optional.empty());
    final ModelEvaluator evaluator = new ModelEvaluator(Duration.ofSeconds(20), true);

    static DeclaredModel model(Serving serving, List<Endpoint> endpoints) {
        return new DeclaredModel("m", "d", Optional.of("ns"), "kubernetes", "vllm", "chat", endpoints, serving,
                ModelTraits.defaults(Map.of()));
    }

    static EndpointHealth okAt(Instant at) {
        return EndpointHealth.firstSuccess(at, Optional.of(Map.of("m", Optional.of(8192))));
    }

    @Test
    void servedModelWithFreshProbeIsReadyWithTheProbedLength() {
        ModelStatus s = evaluator.evaluate(model(Serving.yes(), List.of(EP)), url -> Optional.of(okAt(T0)),
                T0.plusSeconds(5));
        assertEquals(ModelState.READY, s.state());
        assertEquals(Optional.of(8192), s.maxModelLen());
    }

    @Test
    void successOlderThanTheTtlMakesTheModelUnhealthy() {
        ModelStatus s = evaluator.evaluate(model(Serving.yes(), List.of(EP)), url -> Optional.of(okAt(T0)),
                T0.plusSeconds(25));
        assertEquals(ModelState.UNHEALTHY, s.state());
        assertEquals(Optional.of("last successful health probe 25s ago, older than the TTL of 20s"), s.reason());
    }

    @Test
    void notServedDeploymentKeepsTheSourcesStateAndReason() {
        ModelStatus s = evaluator.evaluate(
                model(Serving.no(ModelState.PENDING, "pod d-default-0 not ready: ContainersNotReady"), List.of(EP)),
                url -> Optional.of(okAt(T0)), T0);
        assertEquals(ModelState.PENDING, s.state());
        assertEquals(Optional.of("pod d-default-0 not ready: ContainersNotReady"), s.reason());
    }

    @Test
    void servedDeploymentWithoutEndpointIsPending() {
        ModelStatus s = evaluator.evaluate(model(Serving.yes(), List.of()), url -> Optional.empty(), T0);
        assertEquals(ModelState.PENDING, s.state());
        assertEquals(Optional.of("no endpoint resolved for deployment d"), s.reason());
    }

    @Test
    void neverProbedEndpointIsPending() {
        ModelStatus s = evaluator.evaluate(model(Serving.yes(), List.of(EP)), url -> Optional.empty(), T0);
        assertEquals(ModelState.PENDING, s.state());
        assertEquals(Optional.of("waiting for the first health probe of http://up:8000"), s.reason());
    }

    @Test
    void consecutiveFailuresAreCountedInTheReason() {
        EndpointHealth h = okAt(T0).failure(T0.plusSeconds(1), "connection refused")
                .failure(T0.plusSeconds(2), "connection refused")
                .failure(T0.plusSeconds(3), "connection refused");
        ModelStatus s = evaluator.evaluate(model(Serving.yes(), List.of(EP)), url -> Optional.of(h),
                T0.plusSeconds(4));
        assertEquals(ModelState.UNHEALTHY, s.state());
        assertEquals(Optional.of("health probe failed 3x: connection refused"), s.reason());
    }
}
