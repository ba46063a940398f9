package io.parley.registry.model;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A declared model evaluated against the health of its endpoints.
 *
 * @param endpoints the endpoints to route to: the healthy ones when ready, otherwise every resolved one
 */
public record ModelStatus(
        DeclaredModel model,
        String state,
        Optional<String> reason,
        List<Endpoint> endpoints,
        Optional<Integer> maxModelLen,
        Optional<Instant> lastProbeAt) {

    public boolean ready() {
        return ModelState.READY.equals(state);
    }
}
