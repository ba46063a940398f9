package io.parley.e2e.faults;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.parley.e2e.Clients;
import io.parley.e2e.PlatformExtension;
import io.parley.e2e.platform.LocalPlatform;

/**
 * Issue 19, Keycloak down while usage-service and the proxy start: both report not ready and answer a valid token with
 * 503 {@code auth_unavailable} (not 500); once Keycloak is back both become ready and serve, without a restart.
 */
@ExtendWith(PlatformExtension.class)
class KeycloakDownIT {

    @Test
    void servicesStartedWhileKeycloakIsDownAreNotReadyAnswer503AndServeOnceItIsBack(LocalPlatform platform)
            throws Exception {
        String alice = Clients.token(platform, "alice");
        String admin = Clients.token(platform, "admin");
        String proxyReady = platform.proxyUrl() + "/q/health/ready";
        String usageReady = platform.usageUrl() + "/q/health/ready";
        String run = "kcdown-" + UUID.randomUUID() + "-";

        platform.stopProcess(LocalPlatform.KEYCLOAK);
        try {
            platform.stopProcess(LocalPlatform.USAGE);
            platform.stopProcess(LocalPlatform.PROXY);
            platform.startProcess(LocalPlatform.USAGE);
            platform.startProcess(LocalPlatform.PROXY);

            // listening, and not ready
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> FaultsE2e.status(usageReady) == 503);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> FaultsE2e.status(proxyReady) == 503);

            HttpResponse<String> call = FaultsE2e.call(platform, alice, run + "proxy",
                    FaultsE2e.chatBody("echo-sim", false, null));
            assertEquals(503, call.statusCode(), call.body());
            assertTrue(call.body().contains("\"code\":\"auth_unavailable\""), call.body());

            HttpResponse<String> usage = FaultsE2e.HTTP.send(HttpRequest.newBuilder(
                    URI.create(platform.usageUrl() + "/admin/usage?user=alice"))
                    .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + admin).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, usage.statusCode(), usage.body());
            assertTrue(usage.body().contains("auth_unavailable"), usage.body());
            // still not ready: nothing changed
            assertEquals(503, FaultsE2e.status(proxyReady));
        } finally {
            platform.restartProcess(LocalPlatform.KEYCLOAK);
            restartIfGone(platform, LocalPlatform.USAGE);
            restartIfGone(platform, LocalPlatform.PROXY);
        }

        // back without a restart of either service
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> FaultsE2e.status(usageReady) == 200 && FaultsE2e.status(proxyReady) == 200);
        String fresh = Clients.token(platform, "alice");
        HttpResponse<String> served = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> FaultsE2e.call(platform, fresh, run + "after", FaultsE2e.chatBody("echo-sim", false,
                        null)), r -> r.statusCode() == 200);
        assertTrue(served.body().contains("\"choices\""), served.body());
        Clients.usage(platform, Clients.token(platform, "admin")).queryParam("user", "alice")
                .get("/admin/usage").then().statusCode(200);
    }

    /** Leaves the platform as the other tests expect it, even when this one failed half-way. */
    private static void restartIfGone(LocalPlatform platform, String name) {
        try {
            platform.pid(name);
        } catch (IllegalStateException notRunning) {
            platform.restartProcess(name);
        }
    }
}
