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

    public static ModelView of(ModelStatus s) {
        var m = s.model();
        return new ModelView(m.id(), m.name(), m.aliases(), m.deployment(), m.namespace().orElse(null), m.source(),
                m.engineType(), m.task(), m.capabilities(), m.category().orElse(null), s.state(), s.reason().orElse(null),
                s.endpoints().stream().map(EndpointView::of).toList(),
                s.maxModelLen().orElse(null),
                s.lastProbeAt().map(t -> t.truncatedTo(ChronoUnit.MILLIS)).orElse(null));
    }

    public static List<ModelView> of(List<ModelStatus> statuses) {
        return statuses.stream().map(ModelView::of).toList();
    }
}
