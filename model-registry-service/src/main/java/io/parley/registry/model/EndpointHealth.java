package io.parley.registry.model;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of the probes of one endpoint so far.
 *
 * @param lastProbeAt when the last probe finished
 * @param lastSuccessAt when a probe last succeeded
 * @param consecutiveFailures failed probes since the last success
 * @param lastError the error of the last failed probe
 * @param listedModels what the last successful {@code /v1/models} listed: model id to {@code max_model_len} (empty
 *        Optional when not reported); empty Optional when the endpoint had no usable {@code /v1/models}
 */
public record EndpointHealth(
        Instant lastProbeAt,
        Optional<Instant> lastSuccessAt,
        int consecutiveFailures,
        Optional<String> lastError,
        Optional<Map<String, Optional<Integer>>> listedModels) {

    public EndpointHealth success(Instant at, Optional<Map<String, Optional<Integer>>> listed) {
        return new EndpointHealth(at, Optional.of(at), 0, Optional.empty(), listed);
    }

    public EndpointHealth failure(Instant at, String error) {
        return new EndpointHealth(at, lastSuccessAt, consecutiveFailures + 1, Optional.of(error), listedModels);
    }

    public static EndpointHealth firstSuccess(Instant at, Optional<Map<String, Optional<Integer>>> listed) {
        return new EndpointHealth(at, Optional.of(at), 0, Optional.empty(), listed);
    }

    public static EndpointHealth firstFailure(Instant at, String error) {
        return new EndpointHealth(at, Optional.empty(), 1, Optional.of(error), Optional.empty());
    }
}
