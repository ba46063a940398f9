package io.parley.registry.probe;

import java.util.Map;
import java.util.Optional;

/** One probe of one endpoint: ok with what {@code /v1/models} listed, or failed with a short error. */
public record ProbeOutcome(String url, boolean ok, Optional<String> error,
        Optional<Map<String, Optional<Integer>>> listedModels) {

    static ProbeOutcome ok(String url, Optional<Map<String, Optional<Integer>>> listed) {
        return new ProbeOutcome(url, true, Optional.empty(), listed);
    }

    static ProbeOutcome failed(String url, String error) {
        return new ProbeOutcome(url, false, Optional.of(error), Optional.empty());
    }
}
