package io.parley.registry.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.parley.registry.service.ModelViewService;
import io.parley.registry.source.ModelSource;

/** Ready once every enabled source has loaded (static) or synced its informers (kubernetes). */
@Readiness
@ApplicationScoped
public class SourcesReadinessCheck implements HealthCheck {

    private final ModelViewService view;

    public SourcesReadinessCheck(ModelViewService view) {
        this.view = view;
    }

    @Override
    public HealthCheckResponse call() {
        var builder = HealthCheckResponse.named("model-sources").up();
        for (ModelSource source : view.sources()) {
            builder.withData(source.name(), source.ready() ? "ready" : source.notReadyReason().orElse("not ready"));
            if (!source.notes().isEmpty()) {
                builder.withData(source.name() + ".notes", String.join("; ", source.notes()));
            }
            if (!source.ready()) {
                builder.down();
            }
        }
        return builder.build();
    }
}
