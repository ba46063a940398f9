package io.parley.proxy.client;

import jakarta.ws.rs.core.HttpHeaders;

import org.jboss.resteasy.reactive.client.spi.ResteasyReactiveClientRequestContext;
import org.jboss.resteasy.reactive.client.spi.ResteasyReactiveClientRequestFilter;

import io.quarkus.arc.Arc;

/** Adds the proxy's client-credentials token to outbound REST calls without blocking the calling thread. */
public class ServiceTokenFilter implements ResteasyReactiveClientRequestFilter {

    @Override
    public void filter(ResteasyReactiveClientRequestContext context) {
        ServiceTokens tokens = Arc.container().instance(ServiceTokens.class).get();
        context.suspend();
        tokens.accessToken().subscribe().with(token -> {
            token.ifPresent(t -> context.getHeaders().putSingle(HttpHeaders.AUTHORIZATION, "Bearer " + t));
            context.resume();
        }, context::resume);
    }
}
