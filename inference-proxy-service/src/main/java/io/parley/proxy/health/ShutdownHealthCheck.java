package io.parley.proxy.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.parley.proxy.stream.RelayService;
import io.parley.proxy.stream.ShutdownDrain;

/** DOWN from SIGTERM on, so load balancers stop sending calls while the open ones drain. */
@Readiness
@ApplicationScoped
public class ShutdownHealthCheck implements HealthCheck {

    private final ShutdownDrain drain;
    private final RelayService relay;

    ShutdownHealthCheck(ShutdownDrain drain, RelayService relay) {
        this.drain = drain;
        this.relay = relay;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("shutdown").status(!drain.draining())
                .withData("draining", drain.draining())
                .withData("refusing_new_calls", drain.refusing())
                .withData("open_calls", relay.openCalls())
                .build();
    }
}
