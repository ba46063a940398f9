package io.parley.proxy.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

import io.quarkus.logging.Log;
import io.quarkus.oidc.runtime.TenantConfigBean;
import io.quarkus.oidc.runtime.TenantConfigContext;
import io.quarkus.scheduler.Scheduled;

/**
 * Whether bearer tokens can be verified: the default OIDC tenant has its provider's metadata and signing keys. A proxy
 * started while the OIDC provider is down has a tenant that is "not ready" (Quarkus retries it only when a request
 * arrives, and a not-ready pod gets none): this bean retries every few seconds, so the proxy becomes ready as soon as
 * the provider is back. Reads Quarkus OIDC's {@code TenantConfigBean} (runtime API of the pinned Quarkus version, see
 * docs/adr/0001-quarkus-platform-pin.md); a tenant without a provider URL (a configured public key) is always ready.
 */
@ApplicationScoped
public class OidcReadiness {

    private final Instance<TenantConfigBean> tenants;
    private volatile boolean initializing;
    private volatile boolean reportedDown;

    OidcReadiness(Instance<TenantConfigBean> tenants) {
        this.tenants = tenants;
    }

    /** True when tokens can be verified now. */
    public boolean ready() {
        TenantConfigContext tenant = tenant();
        return tenant == null || tenant.oidcConfig() == null || !tenant.oidcConfig().tenantEnabled() || tenant.ready();
    }

    private TenantConfigContext tenant() {
        return tenants.isResolvable() ? tenants.get().getDefaultTenant() : null;
    }

    @Scheduled(every = "2s", delayed = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void retry() {
        TenantConfigContext tenant = tenant();
        if (tenant == null || ready() || initializing) {
            if (reportedDown && ready()) {
                reportedDown = false;
                Log.infof("OIDC provider reachable: bearer tokens are verified again");
            }
            return;
        }
        if (!reportedDown) {
            reportedDown = true;
            Log.warnf("OIDC provider unreachable: not ready, bearer tokens answered 503 until it is back");
        }
        initializing = true;
        tenant.initialize().subscribe().with(t -> initializing = false, e -> initializing = false);
    }
}
