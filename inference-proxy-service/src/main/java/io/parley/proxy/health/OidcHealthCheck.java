package io.parley.proxy.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.parley.proxy.security.OidcReadiness;

/** Ready only when bearer tokens can be verified (the OIDC provider's keys are loaded). */
@Readiness
@ApplicationScoped
public class OidcHealthCheck implements HealthCheck {

    private final OidcReadiness oidc;

    OidcHealthCheck(OidcReadiness oidc) {
        this.oidc = oidc;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("oidc").status(oidc.ready()).withData("keys_loaded", oidc.ready()).build();
    }
}
