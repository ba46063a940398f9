package io.parley.registry.support;

import java.util.HashMap;
import java.util.Map;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A CRUD-mode fabric8 mock API server behind a {@link TcpCutter}: the registry talks to it through the cutter (which
 * the test cuts to simulate an outage), the test changes objects directly. Where the mock differs from a real API
 * server: it does not replay events missed by a watch resumed at an old resource version and never answers 410 Gone,
 * so a registry that only resumed its watches would miss deletions for good.
 */
public class CutClusterResource implements QuarkusTestResourceLifecycleManager {

    public static KubernetesMockServer server;
    public static TcpCutter cutter;
    public static KubernetesClient direct;

    @Override
    public Map<String, String> start() {
        try {
            server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new MockWebServer(), new HashMap<>(),
                    new KubernetesCrudDispatcher(), false);
            server.init(java.net.InetAddress.getLoopbackAddress(), 0);
            direct = server.createClient();
            cutter = new TcpCutter(server.getPort());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return Map.of(
                "quarkus.kubernetes-client.api-server-url", "http://127.0.0.1:" + cutter.port(),
                "quarkus.kubernetes-client.trust-certs", "true",
                "quarkus.kubernetes-client.namespace", "team-o",
                "quarkus.kubernetes-client.devservices.enabled", "false");
    }

    @Override
    public void stop() {
        try {
            direct.close();
            cutter.close();
            server.destroy();
        } catch (Exception ignored) {
            // shutting down
        }
    }
}
