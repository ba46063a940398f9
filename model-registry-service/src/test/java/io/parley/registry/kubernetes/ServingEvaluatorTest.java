package io.parley.registry.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.parley.registry.config.RegistryConfig;
import io.parley.registry.model.ModelState;
import io.parley.registry.sambastack.Resources;

/** Start-up progress and time-out, with a fixed clock. */
class ServingEvaluatorTest {

    record Rules(List<String> podLabels, boolean ownerReference, boolean namePrefix, String groupLabel,
            String defaultGroup) implements RegistryConfig.Matching {
    }

    static final Instant CREATED = Instant.parse("2026-12-07T03:00:00Z");
    final PodMatcher matcher = new PodMatcher(new Rules(List.of(), true, true, "sambanova.ai/group", "default"));
    final ServingEvaluator evaluator = new ServingEvaluator(matcher, Duration.ofMinutes(45));

    static Resources.Deployment deployment(Optional<Duration> timeout) {
        return new Resources.Deployment(
                new Resources.Meta("ModelDeployment", "ns", "md", Map.of(), Optional.of(CREATED)),
                Resources.Generation.CURRENT, Optional.of("b"), Optional.empty(),
                List.of(new Resources.Group("default", 1)), timeout, List.of(), List.of());
    }

    static Pod pod(String name, boolean ready) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("ns")
                .withCreationTimestamp(CREATED.toString()).endMetadata()
                .withNewStatus().withPhase("Running")
                .withContainerStatuses(new ContainerStatusBuilder().withName("inf").withReady(ready).build())
                .endStatus().build();
    }

    ServingEvaluator.Result at(Instant now, Optional<Duration> timeout) {
        var d = deployment(timeout);
        var matched = matcher.match(List.of(d), List.of(pod("inf-md-cache-0", true), pod("inf-md-q-default-n-0",
                false)));
        return evaluator.evaluate(d, matched.get(PodMatcher.key(d)), now);
    }

    @Test
    void startingDeploymentSaysHowLongOfItsStartupTimeout() {
        var r = at(CREATED.plus(Duration.ofMinutes(12)).plusSeconds(30), Optional.empty());
        assertEquals(ModelState.PENDING, r.serving().state());
        assertEquals("pod inf-md-q-default-n-0 not ready: containers not ready "
                + "(starting for 12 min of the 45-min startup timeout)", r.serving().reason().orElseThrow());
    }

    @Test
    void pastItsOwnStartupTimeoutTheDeploymentHasFailed() {
        var r = at(CREATED.plus(Duration.ofMinutes(31)), Optional.of(Duration.ofMinutes(30)));
        assertEquals(ModelState.FAILED, r.serving().state());
        assertTrue(r.serving().reason().orElseThrow().startsWith("start-up timed out after 30-min: pod "
                + "inf-md-q-default-n-0 not ready"), r.serving().reason().orElseThrow());
    }
}
