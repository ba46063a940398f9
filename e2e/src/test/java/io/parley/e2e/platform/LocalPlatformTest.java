package io.parley.e2e.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's own choices, without starting anything: what `make run` is told and what it refuses. */
class LocalPlatformTest {

    @TempDir
    Path data;

    @Test
    void clusterChoicesOfMakeRun() {
        assertEquals(LocalPlatform.Cluster.STAND_IN, LocalPlatform.Cluster.parse("stand-in"));
        assertEquals(LocalPlatform.Cluster.KUBECONFIG, LocalPlatform.Cluster.parse("kubeconfig"));
        assertEquals(LocalPlatform.Cluster.NONE, LocalPlatform.Cluster.parse("none"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LocalPlatform.Cluster.parse("minikube"));
        assertTrue(e.getMessage().contains("stand-in, kubeconfig or none"), e.getMessage());
    }

    @Test
    void theE2ePlanIsTheLocalPlanShiftedBy10000() {
        assertEquals(PortPlan.local().shiftedBy(10000), PortPlan.e2e());
        assertEquals(8080, PortPlan.local().chat());
        assertEquals(9082, LocalPlatform.managementPort(PortPlan.local().proxy()));
    }

    @Test
    void aConfigFileIsAddedAfterTheOnesAProcessHasAlready() {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        LocalPlatform.addConfig(env, "/a.properties");
        LocalPlatform.addConfig(env, "/b.properties");
        LocalPlatform.addConfig(env, null);
        assertEquals("/a.properties,/b.properties", env.get("QUARKUS_CONFIG_LOCATIONS"));
    }

    @Test
    void aPortTakenByAFixtureIsRefusedBeforeAnythingStarts() throws IOException {
        Path root = fakeBuiltRepository();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            LocalPlatform platform = new LocalPlatform(root, data, PortPlan.local().shiftedBy(30000))
                    .withFixtures(new LocalPlatform.Fixtures() {
                        @Override
                        public Map<String, Integer> ports(LocalPlatform p) {
                            return Map.of("a fixture's endpoint", port);
                        }
                    });
            IllegalStateException e = assertThrows(IllegalStateException.class, platform::start);
            assertTrue(e.getMessage().contains("a fixture's endpoint " + port), e.getMessage());
            assertTrue(Files.notExists(data.resolve("postgres")), "nothing started");
        }
    }

    /** A repository layout with empty stand-ins for the jars, the Keycloak distribution and the realm file. */
    private Path fakeBuiltRepository() throws IOException {
        Path root = Files.createDirectories(data.resolve("repo"));
        for (String module : LocalPlatform.SERVICES) {
            Path jar = root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
            Files.createDirectories(jar.getParent());
            Files.createFile(jar);
        }
        Path kc = root.resolve("e2e/target/keycloak/keycloak-0/bin/kc.sh");
        Files.createDirectories(kc.getParent());
        Files.createFile(kc);
        Path realm = root.resolve("config/keycloak/parley-realm.json");
        Files.createDirectories(realm.getParent());
        Files.writeString(realm, "{}");
        return root;
    }
}
