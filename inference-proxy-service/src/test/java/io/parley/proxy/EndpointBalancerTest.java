package io.parley.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Constructor;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.parley.proxy.client.RegistryModel.Endpoint;
import io.parley.proxy.config.ProxyConfig;
import io.parley.proxy.service.EndpointBalancer;

/** Plain unit test of least-outstanding balancing and ejection. */
class EndpointBalancerTest {

    private static final Endpoint A = new Endpoint("http://a", null);
    private static final Endpoint B = new Endpoint("http://b", null);

    private static EndpointBalancer balancer(int ejectAfter, Duration ejection) throws Exception {
        ProxyConfig.Upstream upstream = (ProxyConfig.Upstream) java.lang.reflect.Proxy.newProxyInstance(
                ProxyConfig.class.getClassLoader(), new Class<?>[] { ProxyConfig.Upstream.class },
                (p, m, a) -> switch (m.getName()) {
                    case "ejectAfterFailures" -> ejectAfter;
                    case "ejectionTime" -> ejection;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        ProxyConfig config = (ProxyConfig) java.lang.reflect.Proxy.newProxyInstance(ProxyConfig.class.getClassLoader(),
                new Class<?>[] { ProxyConfig.class }, (p, m, a) -> {
                    if (m.getName().equals("upstream")) {
                        return upstream;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        Constructor<EndpointBalancer> c = EndpointBalancer.class.getDeclaredConstructor(ProxyConfig.class);
        c.setAccessible(true);
        return c.newInstance(config);
    }

    @Test
    void picksTheEndpointWithTheFewestOutstandingRequests() throws Exception {
        EndpointBalancer balancer = balancer(3, Duration.ofSeconds(30));
        balancer.acquire(A.url());
        balancer.acquire(A.url());
        balancer.acquire(B.url());
        assertEquals(B, balancer.pick(List.of(A, B), Set.of()).orElseThrow());
        balancer.release(A.url());
        balancer.release(A.url());
        assertEquals(A, balancer.pick(List.of(A, B), Set.of()).orElseThrow());
        assertEquals(B, balancer.pick(List.of(A, B), Set.of(A.url())).orElseThrow());
    }

    @Test
    void endpointIsEjectedAfterConsecutiveFailuresAndUsedOnlyWhenNothingElseIsLeft() throws Exception {
        EndpointBalancer balancer = balancer(2, Duration.ofMinutes(5));
        balancer.acquire(B.url());
        balancer.failure(A.url());
        assertEquals(A, balancer.pick(List.of(A, B), Set.of()).orElseThrow(), "one failure does not eject");
        balancer.failure(A.url());
        assertEquals(B, balancer.pick(List.of(A, B), Set.of()).orElseThrow(), "ejected despite its lower load");
        assertEquals(A, balancer.pick(List.of(A), Set.of()).orElseThrow(), "still used when it is the only one");
        balancer.success(A.url());
        assertEquals(A, balancer.pick(List.of(A, B), Set.of()).orElseThrow(), "a success restores it");
    }

    @Test
    void successResetsTheFailureCount() throws Exception {
        EndpointBalancer balancer = balancer(2, Duration.ofMinutes(5));
        balancer.acquire(B.url());
        balancer.failure(A.url());
        balancer.success(A.url());
        balancer.failure(A.url());
        assertEquals(A, balancer.pick(List.of(A, B), Set.of()).orElseThrow());
    }
}
