package io.parley.e2e;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import io.parley.e2e.platform.LocalPlatform;

/**
 * The e2e suite's fault models, added to the platform it starts ({@link PlatformExtension}); {@code make run} has none.
 * The main simulator serves them and the registry knows them from an extra static endpoint ({@code e2e-faults}) next to
 * {@code local-simulator}; a second simulator ({@link #SECOND_SIMULATOR}) gives the proxy two endpoints to retry
 * between; one model is registered on a port nobody listens on.
 */
public final class FaultFixtures implements LocalPlatform.Fixtures {

    /** Streams 5 content tokens, then an error event (simulator {@code mid-stream-error}). */
    public static final String FAIL_AFTER_MODEL = "fail-after-sim";
    /** Streams 5 content tokens, then nothing while the connection stays open ({@code mid-stream-hang}). */
    public static final String HANG_AFTER_MODEL = "hang-after-sim";
    /** First token after 60 s: a client can go away before it. */
    public static final String SLOW_MODEL = "slow-sim";
    /** A long paced answer (2000 tokens, 20 ms apart): a client can go away in the middle. */
    public static final String LONG_MODEL = "long-sim";
    /** Answers 503 before the first byte, every time ({@code before-first-byte}). */
    public static final String UNAVAILABLE_MODEL = "unavailable-sim";
    /** Registered on an endpoint nobody listens on: known to the registry but never ready. */
    public static final String DOWN_MODEL = "down-sim";
    /**
     * A second simulator process ({@link #secondSimulatorUrl}): together with the main one it serves
     * {@link #TWIN_MODEL} and {@link #HALF_UNAVAILABLE_MODEL}, so the proxy has two endpoints to retry between.
     */
    public static final String SECOND_SIMULATOR = "model-simulator-b";
    /** Served normally by both simulators (registry entries e2e-twin-a and e2e-twin-b). */
    public static final String TWIN_MODEL = "twin-sim";
    /** Served normally by the main simulator; the second one answers 503 before the first byte, every time. */
    public static final String HALF_UNAVAILABLE_MODEL = "half-unavailable-sim";

    private static final String SIMULATOR_FAULT_MODELS = """
            # e2e fault models (FaultFixtures)
            simulator.models.fail-after-sim.output=lorem
            simulator.models.fail-after-sim.ttft=20ms
            simulator.models.fail-after-sim.inter-token-latency=10ms
            simulator.models.fail-after-sim.default-max-tokens=50
            simulator.models.fail-after-sim.failure=mid-stream-error
            simulator.models.fail-after-sim.failure-after-tokens=5
            simulator.models.hang-after-sim.output=lorem
            simulator.models.hang-after-sim.ttft=20ms
            simulator.models.hang-after-sim.inter-token-latency=10ms
            simulator.models.hang-after-sim.default-max-tokens=50
            simulator.models.hang-after-sim.failure=mid-stream-hang
            simulator.models.hang-after-sim.failure-after-tokens=5
            simulator.models.slow-sim.output=lorem
            simulator.models.slow-sim.ttft=60s
            simulator.models.slow-sim.inter-token-latency=10ms
            simulator.models.slow-sim.default-max-tokens=20
            simulator.models.long-sim.output=lorem
            simulator.models.long-sim.ttft=20ms
            simulator.models.long-sim.inter-token-latency=20ms
            simulator.models.long-sim.default-max-tokens=2000
            simulator.models.unavailable-sim.output=lorem
            simulator.models.unavailable-sim.failure=before-first-byte
            simulator.models.unavailable-sim.failure-status=503
            simulator.models.twin-sim.output=lorem
            simulator.models.twin-sim.ttft=20ms
            simulator.models.twin-sim.inter-token-latency=10ms
            simulator.models.twin-sim.default-max-tokens=20
            simulator.models.half-unavailable-sim.output=lorem
            simulator.models.half-unavailable-sim.ttft=20ms
            simulator.models.half-unavailable-sim.inter-token-latency=10ms
            simulator.models.half-unavailable-sim.default-max-tokens=20
            """;

    /** The second simulator: the same twin model, and the half-unavailable model failing 503 before the first byte. */
    private static final String SECOND_SIMULATOR_MODELS = """
            # e2e second simulator (FaultFixtures)
            simulator.models.twin-sim.output=lorem
            simulator.models.twin-sim.ttft=20ms
            simulator.models.twin-sim.inter-token-latency=10ms
            simulator.models.twin-sim.default-max-tokens=20
            simulator.models.half-unavailable-sim.output=lorem
            simulator.models.half-unavailable-sim.failure=before-first-byte
            simulator.models.half-unavailable-sim.failure-status=503
            """;

    /** The base URL of {@link #SECOND_SIMULATOR}: the simulator's port + 1 (e2e plan: 18091). */
    public static String secondSimulatorUrl(LocalPlatform platform) {
        return "http://127.0.0.1:" + secondSimulatorPort(platform);
    }

    private static int secondSimulatorPort(LocalPlatform platform) {
        return platform.ports().simulator() + 1;
    }

    /** Where {@link #DOWN_MODEL} is registered: a loopback port nothing of ours listens on. */
    private static int downEndpointPort(LocalPlatform platform) {
        return platform.ports().simulator() + 9;
    }

    @Override
    public Map<String, Integer> ports(LocalPlatform platform) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        ports.put("the unreachable endpoint of " + DOWN_MODEL, downEndpointPort(platform));
        ports.put(SECOND_SIMULATOR, secondSimulatorPort(platform));
        return ports;
    }

    @Override
    public void configure(LocalPlatform platform, String process, Map<String, String> env) throws IOException {
        switch (process) {
            case LocalPlatform.SIMULATOR -> LocalPlatform.addConfig(env,
                    platform.writeConfig("simulator-fault-models.properties", SIMULATOR_FAULT_MODELS));
            case LocalPlatform.REGISTRY -> LocalPlatform.addConfig(env,
                    platform.writeConfig("registry-fault-endpoints.properties", registryFaultEndpoints(platform)));
            // a hang after the first byte ends with an error event after this much silence (default 60 s)
            case LocalPlatform.PROXY -> env.put("PARLEY_PROXY_UPSTREAM_IDLE_TIMEOUT", "5s");
            default -> {
            }
        }
    }

    @Override
    public void start(LocalPlatform platform) throws IOException {
        platform.startModule(SECOND_SIMULATOR, LocalPlatform.SIMULATOR, secondSimulatorPort(platform),
                Map.of("QUARKUS_CONFIG_LOCATIONS", platform.writeConfig("simulator-b-models.properties",
                        SECOND_SIMULATOR_MODELS).toString()),
                "/health");
    }

    private static String registryFaultEndpoints(LocalPlatform platform) {
        String simulator = platform.simulatorUrl();
        return """
                # e2e fault endpoints (FaultFixtures), next to local-simulator
                parley.registry.static.endpoints.e2e-faults.url=%s
                parley.registry.static.endpoints.e2e-faults.engine-type=vllm
                parley.registry.static.endpoints.e2e-faults.models=%s,%s,%s,%s,%s
                parley.registry.static.endpoints.e2e-down.url=http://127.0.0.1:%d
                parley.registry.static.endpoints.e2e-down.engine-type=vllm
                parley.registry.static.endpoints.e2e-down.models=%s
                # one model name on two endpoints (the main and the second simulator): the proxy retries between them
                parley.registry.static.endpoints.e2e-twin-a.url=%s
                parley.registry.static.endpoints.e2e-twin-a.engine-type=vllm
                parley.registry.static.endpoints.e2e-twin-a.models=%s,%s
                parley.registry.static.endpoints.e2e-twin-b.url=%s
                parley.registry.static.endpoints.e2e-twin-b.engine-type=vllm
                parley.registry.static.endpoints.e2e-twin-b.models=%s,%s
                """.formatted(simulator, FAIL_AFTER_MODEL, HANG_AFTER_MODEL, SLOW_MODEL, LONG_MODEL,
                UNAVAILABLE_MODEL, downEndpointPort(platform), DOWN_MODEL, simulator, TWIN_MODEL,
                HALF_UNAVAILABLE_MODEL, secondSimulatorUrl(platform), TWIN_MODEL, HALF_UNAVAILABLE_MODEL);
    }
}
