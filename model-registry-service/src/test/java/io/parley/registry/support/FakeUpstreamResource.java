package io.parley.registry.support;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Starts {@link #UPSTREAM} and points the static endpoints {@code local-simulator} and {@code keyed} at it. */
public class FakeUpstreamResource implements QuarkusTestResourceLifecycleManager {

    public static final FakeUpstream UPSTREAM = new FakeUpstream();

    @Override
    public Map<String, String> start() {
        try {
            UPSTREAM.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return Map.of(
                "parley.registry.static.endpoints.local-simulator.url", UPSTREAM.url(),
                "parley.registry.static.endpoints.keyed.url", UPSTREAM.url() + "/keyed");
    }

    @Override
    public void stop() {
        UPSTREAM.stop();
    }
}
