package io.parley.proxy.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.parley.proxy.service.ModelCatalog;
import io.parley.proxy.usage.OutboxPublisher;
import io.parley.proxy.usage.UsageRecorder;

/**
 * Ready once the model view was loaded from the registry at least once; afterwards the proxy keeps serving its cached
 * view while the registry is down (reported, not failing). The usage database is not part of readiness: the proxy
 * serves while it is down (usage waits in the spool), so its state is reported here as details only
 * ({@code quarkus.datasource.health.enabled=false}).
 */
@Readiness
@ApplicationScoped
public class RegistryHealthCheck implements HealthCheck {

    private final ModelCatalog catalog;
    private final OutboxPublisher publisher;
    private final UsageRecorder recorder;

    RegistryHealthCheck(ModelCatalog catalog, OutboxPublisher publisher, UsageRecorder recorder) {
        this.catalog = catalog;
        this.publisher = publisher;
        this.recorder = recorder;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("model-registry")
                .status(catalog.loaded())
                .withData("registry_reachable", catalog.registryReachable())
                .withData("running_models", catalog.running().size())
                .withData("usage_delivery_failing", publisher.failing())
                .withData("usage_database_reachable", !recorder.outboxFailing())
                .withData("usage_spooled", recorder.spooled())
                .withData("usage_waiting_in_memory", recorder.pendingRetries())
                .withData("usage_dropped_total", recorder.droppedTotal())
                .build();
    }
}
