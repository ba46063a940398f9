package io.parley.proxy.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.parley.proxy.service.ModelCatalog;
import io.parley.proxy.usage.OutboxPublisher;

/**
 * Ready once the model view was loaded from the registry at least once; afterwards the proxy keeps serving its cached
 * view while the registry is down (reported, not failing). The database has its own readiness check (Agroal).
 */
@Readiness
@ApplicationScoped
public class RegistryHealthCheck implements HealthCheck {

    private final ModelCatalog catalog;
    private final OutboxPublisher publisher;

    RegistryHealthCheck(ModelCatalog catalog, OutboxPublisher publisher) {
        this.catalog = catalog;
        this.publisher = publisher;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("model-registry")
                .status(catalog.loaded())
                .withData("registry_reachable", catalog.registryReachable())
                .withData("running_models", catalog.running().size())
                .withData("usage_delivery_failing", publisher.failing())
                .build();
    }
}
