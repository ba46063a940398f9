package io.parley.e2e.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;

import io.parley.e2e.FaultFixtures;
import io.parley.e2e.PlatformExtension;
import io.parley.e2e.platform.LocalPlatform;

/**
 * Issue 4, routing faults before the first byte, with the real proxy, registry and two real simulator processes serving
 * the same model names (registry entries {@code e2e-twin-a} on the main simulator and {@code e2e-twin-b} on
 * {@link LocalPlatform#SECOND_SIMULATOR}): a refused connection and a 503 on one endpoint are retried on the other, every
 * call of the official openai-java SDK succeeds, and the proxy counts the retries in
 * {@code parley_proxy_upstream_retries_total}.
 * <p>
 * Calls go out in concurrent batches: the proxy balances by least outstanding requests, so while one call is in flight
 * on an endpoint the next one is sent to the other. The refused connection runs first: an endpoint that failed a few
 * times is ejected for a while, and the 503 case waits that out (and the registry's view of the restarted process).
 */
@ExtendWith(PlatformExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProxyRetryIT {

    private static final int CONCURRENT_CALLS = 4;
    private static final String RETRIES = "parley_proxy_upstream_retries_total";

    static LocalPlatform platform;
    static OpenAIClient openai;
    static String alice;

    @BeforeAll
    static void start(LocalPlatform started) {
        platform = started;
        alice = ProxyE2e.token(platform, "alice");
        awaitBothEndpointsReady();
        openai = OpenAIOkHttpClient.builder().baseUrl(platform.proxyUrl() + "/v1").apiKey(alice).maxRetries(0)
                .build();
    }

    @AfterAll
    static void close() {
        if (openai != null) {
            openai.close();
        }
    }

    /** Both registry entries of each twin model are Ready, and the proxy serves the models. */
    private static void awaitBothEndpointsReady() {
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            List<String> running = given().baseUri(platform.registryUrl()).auth().oauth2(alice)
                    .get("/v1/models/running").then().statusCode(200).extract().jsonPath().getList("models.name");
            assertEquals(2, running.stream().filter(FaultFixtures.TWIN_MODEL::equals).count(), "running: " + running);
            assertEquals(2, running.stream().filter(FaultFixtures.HALF_UNAVAILABLE_MODEL::equals).count(),
                    "running: " + running);
            ProxyE2e.proxy(platform, alice).get("/v1/models").then().statusCode(200)
                    .body("data.id", hasItems(FaultFixtures.TWIN_MODEL, FaultFixtures.HALF_UNAVAILABLE_MODEL));
        });
    }

    /**
     * The registry probes every endpoint every 15 s (HEALTH_POLL_SEC). A round that falls between stopping the second
     * simulator and the calls takes {@code e2e-twin-b} out of the registry's view, the proxy follows it at once, and no
     * call is ever sent to the refusing port: nothing to retry (a clean-clone CI run failed that way, its round 0.3 s
     * after the stop). So the stop follows a probe round just recorded, the next one is a poll interval away, and an
     * attempt whose window the registry closed anyway (seen in its running list) is made again.
     */
    @Test
    @Order(1)
    void refusedConnectionBeforeTheFirstByteIsRetriedOnTheOtherSimulator() {
        for (int attempt = 1;; attempt++) {
            if (refusedConnectionRetried()) {
                return;
            }
            assertTrue(attempt < 3, "the registry's probe noticed the stopped simulator before any call reached it, "
                    + attempt + " times in a row");
        }
    }

    /**
     * One attempt: answers true when a refused connection was retried, false when the registry took the stopped
     * endpoint out of service before that happened. Every call must succeed either way.
     */
    private static boolean refusedConnectionRetried() {
        double retriesBefore = ProxyE2e.proxyMetric(platform, RETRIES, FaultFixtures.TWIN_MODEL, "connect");
        double mainServedBefore = ProxyE2e.simulatorMetric(platform.simulatorUrl(), "simulator_requests_total",
                FaultFixtures.TWIN_MODEL);
        awaitAProbeRoundOfTheSecondSimulator();
        platform.stopProcess(FaultFixtures.SECOND_SIMULATOR); // its port now refuses connections
        boolean retried;
        int[] calls = { 0 };
        try {
            // before the registry's next probe notices: every call succeeds, those sent to the dead port are retried
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
                calls[0] += batchSucceeds(FaultFixtures.TWIN_MODEL);
                return retried() > retriesBefore || twinEntriesRunning() < 2;
            });
            retried = retried() > retriesBefore;
        } finally {
            platform.restartProcess(FaultFixtures.SECOND_SIMULATOR);
            String admin = ProxyE2e.token(platform, "admin");
            given().baseUri(platform.registryUrl()).auth().oauth2(admin).post("/admin/upstreams/refresh-health")
                    .then().statusCode(lessThan(300));
        }
        if (retried) {
            assertTrue(ProxyE2e.simulatorMetric(platform.simulatorUrl(), "simulator_requests_total",
                    FaultFixtures.TWIN_MODEL) >= mainServedBefore + calls[0],
                    "the main simulator answered all " + calls[0] + " calls");
        }
        awaitBothEndpointsReady();
        return retried;
    }

    private static double retried() {
        return ProxyE2e.proxyMetric(platform, RETRIES, FaultFixtures.TWIN_MODEL, "connect");
    }

    /** How many registry entries of the twin model are running (2 while the registry has not noticed a stop). */
    private static long twinEntriesRunning() {
        return given().baseUri(platform.registryUrl()).auth().oauth2(alice).get("/v1/models/running").then()
                .statusCode(200).extract().jsonPath().getList("models.name").stream()
                .filter(FaultFixtures.TWIN_MODEL::equals).count();
    }

    /**
     * Waits until the registry's periodic probe round has just probed {@code e2e-twin-b} (its {@code last_probe_at}
     * moves; nothing else probes meanwhile), so its next round is a poll interval away.
     */
    private static void awaitAProbeRoundOfTheSecondSimulator() {
        String before = lastProbeOfTheSecondSimulator();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> !Objects.equals(before, lastProbeOfTheSecondSimulator()));
    }

    private static String lastProbeOfTheSecondSimulator() {
        List<Map<String, Object>> models = given().baseUri(platform.registryUrl()).auth().oauth2(alice)
                .get("/v1/models").then().statusCode(200).extract().jsonPath().getList("models");
        return models.stream().filter(m -> "e2e-twin-b".equals(m.get("deployment"))
                && FaultFixtures.TWIN_MODEL.equals(m.get("name"))).map(m -> String.valueOf(m.get("last_probe_at")))
                .findFirst().orElseThrow(() -> new AssertionError("no registry entry e2e-twin-b: " + models));
    }

    @Test
    @Order(2)
    void status503BeforeTheFirstByteIsRetriedOnTheOtherSimulator() {
        String model = FaultFixtures.HALF_UNAVAILABLE_MODEL;
        double retriesBefore = ProxyE2e.proxyMetric(platform, RETRIES, model, "status_503");
        double failuresBefore = ProxyE2e.simulatorMetric(FaultFixtures.secondSimulatorUrl(platform),
                "simulator_injected_failures_total", model);
        // the second simulator may still be ejected after the refused connections: calls go to the main one meanwhile
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            batchSucceeds(model);
            assertTrue(ProxyE2e.proxyMetric(platform, RETRIES, model, "status_503") > retriesBefore,
                    "a 503 was retried on the other endpoint");
        });
        assertTrue(ProxyE2e.simulatorMetric(FaultFixtures.secondSimulatorUrl(platform), "simulator_injected_failures_total",
                model) > failuresBefore, "the second simulator really answered 503");
    }

    /**
     * Sends {@link #CONCURRENT_CALLS} streamed chat completions at once; every one must come back complete (a failure
     * fails the test at once, it is not retried by the await). Answers the number of calls.
     */
    private static int batchSucceeds(String model) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT_CALLS);
        try {
            List<Future<Long>> calls = new ArrayList<>();
            for (int i = 0; i < CONCURRENT_CALLS; i++) {
                int n = i;
                calls.add(pool.submit(() -> streamedCompletionTokens(model, "retry me " + n)));
            }
            for (Future<Long> call : calls) {
                long tokens;
                try {
                    tokens = call.get(60, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    throw new IllegalStateException("a call through the proxy failed", e);
                }
                if (tokens != 20) {
                    throw new IllegalStateException("a call came back with " + tokens + " completion tokens, not 20");
                }
            }
            return CONCURRENT_CALLS;
        } finally {
            pool.shutdownNow();
        }
    }

    /** One streamed call; answers the completion tokens of its usage chunk after checking text arrived. */
    private static long streamedCompletionTokens(String model, String prompt) {
        StringBuilder text = new StringBuilder();
        long tokens = -1;
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model(model).addUserMessage(prompt)
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                if (!chunk.choices().isEmpty()) {
                    chunk.choices().get(0).delta().content().ifPresent(text::append);
                }
                if (chunk.usage().isPresent()) {
                    tokens = chunk.usage().get().completionTokens();
                }
            }
        }
        assertFalse(text.toString().isBlank(), "content arrived");
        return tokens;
    }
}
