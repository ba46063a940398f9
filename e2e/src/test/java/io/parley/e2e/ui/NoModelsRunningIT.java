package io.parley.e2e.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;

import io.parley.e2e.PlatformExtension;
import io.parley.e2e.platform.LocalPlatform;
import io.restassured.path.json.JsonPath;

/**
 * "No models running", for real: a second model registry whose only upstream (the simulator's models) is unreachable,
 * and a second chat-service that asks it, both the packaged jars against the platform's Keycloak and PostgreSQL. The
 * browser logs in through Keycloak at the platform's chat-service and opens the second one with the same session
 * cookie (cookies are per host, not per port; both share the {@code parley-web} client secret that encrypts it).
 */
@ExtendWith(PlatformExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NoModelsRunningIT {

    private final List<Process> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Ui ui;
    private int registryPort;
    private int chatPort;

    @BeforeAll
    void startRegistryWithoutUpstreamAndAChatServiceOnIt(LocalPlatform platform) throws IOException {
        PlaywrightAssertions.setDefaultAssertionTimeout(30_000);
        Path root = Path.of(System.getProperty("parley.root", "..")).toAbsolutePath().normalize();
        registryPort = freePort();
        chatPort = freePort();
        start(platform, root, "model-registry-service", registryPort, Map.of(
                "PARLEY_SIMULATOR_URL", "http://127.0.0.1:1"));
        start(platform, root, "chat-service", chatPort, Map.of(
                "PARLEY_DB_URL", "jdbc:postgresql://127.0.0.1:" + platform.ports().postgres() + "/parley_chat",
                "PARLEY_REGISTRY_URL", "http://127.0.0.1:" + registryPort,
                "PARLEY_WEB_CLIENT_SECRET", LocalPlatform.WEB_CLIENT_SECRET));
        awaitReady("http://127.0.0.1:" + registryPort + "/q/health/ready");
        awaitReady("http://127.0.0.1:" + chatPort + "/q/health/ready");
        ui = Ui.start();
    }

    @AfterAll
    void stopWhatThisTestStarted() {
        if (ui != null) {
            ui.close();
        }
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }

    @Test
    void noModelsRunningShowsTheEmptyStateAndTheRegistrysStatesAndReasons(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        String second = "http://localhost:" + chatPort;
        page.navigate(second + "/");
        assertThat(page.locator("header")).containsText("alice");

        // what the second registry says through the second chat-service: known models, none Ready, with reasons
        var relayed = page.request().get(second + "/ui/models");
        assertEquals(200, relayed.status(), relayed.text());
        List<Map<String, Object>> models = JsonPath.from(relayed.text()).getList("models");
        assertFalse(models.isEmpty(), relayed.text());
        models.forEach(m -> assertFalse("Ready".equals(m.get("state")), m.toString()));

        assertThat(page.locator("#models-empty")).containsText("No models running");
        assertThat(page.getByLabel("Model", new Page.GetByLabelOptions().setExact(true))).isDisabled();
        assertThat(page.getByLabel("Model", new Page.GetByLabelOptions().setExact(true)).locator("option"))
                .hasCount(0);
        assertThat(Ui.send(page)).isDisabled();
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("See why")).click();
        Locator why = page.locator("#why-dialog");
        assertThat(why).isVisible();
        for (Map<String, Object> m : models) {
            assertThat(why).containsText((String) m.get("name"));
            assertThat(why).containsText((String) m.get("state"));
            if (m.get("reason") != null) {
                assertThat(why).containsText((String) m.get("reason"));
            }
        }
        Ui.screenshot(page, "playground-no-models.png");
        page.context().close();
    }

    private void start(LocalPlatform platform, Path root, String module, int port, Map<String, String> extra)
            throws IOException {
        Path jar = root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        Path work = Files.createDirectories(platform.dataDir().resolve("work").resolve("ui-" + module));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms32m", "-Xmx384m", "-XX:+UseSerialGC", "-jar", jar.toString())
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(platform.dataDir().resolve("logs").resolve("ui-" + module + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        // its management interface (/q/metrics) on a free loopback port too, away from the platform's
        env.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(freePort()));
        env.put("PARLEY_OIDC_URL", platform.issuerUrl());
        env.put("PARLEY_DB_USER", "parley");
        env.put("PARLEY_DB_PASSWORD", "parley");
        env.put("PARLEY_PROXY_URL", platform.proxyUrl());
        env.put("PARLEY_USAGE_URL", platform.usageUrl());
        env.putAll(extra);
        processes.add(pb.start());
    }

    private void awaitReady(String url) {
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
            assertFalse(processes.stream().anyMatch(p -> !p.isAlive()), "a process exited; see logs/ui-*.log");
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        });
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
