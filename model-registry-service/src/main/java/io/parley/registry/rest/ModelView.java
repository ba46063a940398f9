package io.parley.registry.rest;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import io.parley.registry.model.Endpoint;
import io.parley.registry.model.ModelStatus;

/** One model of {@code GET /v1/models} and {@code /v1/models/running} (wire shape of docs/architecture.md). */
public record ModelView(
        String id,
        String name,
        List<String> aliases,
        String deployment,
        String namespace,
        String source,
        String engineType,
        String task,
        List<String> capabilities,
        String category,
        String state,
        String reason,
        List<EndpointView> endpoints,
        Integer maxModelLen,
        Instant lastProbeAt) {

    /** An upstream URL and where the server side finds its key ({@code env:VAR}); never the key. */
    public record EndpointView(String url, String credentialRef) {

        static EndpointView of(Endpoint e) {
            return new EndpointView(e.url(), e.credentialRef().orElse(null));
        }
    }

    /**
     * The entry of {@code s}; with {@code internal} false (a caller who may not see them, {@link Visibility}) without
     * endpoints and with URLs in the reason replaced.
     */
    public static ModelView of(ModelStatus s, boolean internal) {
        var m = s.model();
        String reason = s.reason().orElse(null);
        return new ModelView(m.id(), m.name(), m.aliases(), m.deployment(), m.namespace().orElse(null), m.source(),
                m.engineType(), m.task(), m.capabilities(), m.category().orElse(null), s.state(),
                internal ? reason : Visibility.redact(reason),
                internal ? s.endpoints().stream().map(EndpointView::of).toList() : List.of(),
                s.maxModelLen().orElse(null),
                s.lastProbeAt().map(t -> t.truncatedTo(ChronoUnit.MILLIS)).orElse(null));
    }

    public static List<ModelView> of(List<ModelStatus> statuses, boolean internal) {
        return statuses.stream().map(s -> of(s, internal)).toList();
    }
}
