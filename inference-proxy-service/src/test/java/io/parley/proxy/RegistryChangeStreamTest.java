package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

/**
 * The proxy follows the registry's change stream as the registry sends it (docs/architecture.md): a snapshot on
 * connect, then deltas with only the changed entries; a delta that does not follow on from the revision held makes it
 * re-read the snapshot; the legacy {@code models} event (the whole list) is still understood. The registry here is
 * {@link FakeServices}' loopback one, speaking the same SSE.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class RegistryChangeStreamTest {

    static final Duration WAIT = Duration.ofSeconds(15);

    static ValidatableResponse chat(String model) {
        return given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat(model, false).encode())
                .when().post("/v1/chat/completions").then();
    }

    @Test
    void deltasUpsertAndRemoveEntriesByIdOnTheSameConnection() {
        await().atMost(WAIT).until(() -> FakeServices.changeStreamFollowers() > 0);
        int connections = FakeServices.changeStreamConnections.get();

        FakeServices.announce(FakeServices.model("sim-delta", "Pending", "pod default-0 not ready"));
        await().atMost(WAIT).untilAsserted(() -> chat("sim-delta").statusCode(503));
        FakeServices.announce(FakeServices.model("sim-delta", "Ready", null, FakeServices.upstreamUrl()));
        await().atMost(WAIT).untilAsserted(() -> chat("sim-delta").statusCode(200));
        // models the deltas did not name are kept
        chat("sim-chat").statusCode(200);

        FakeServices.retract("sim-delta");
        await().atMost(WAIT).untilAsserted(() -> chat("sim-delta").statusCode(404)
                .body("error.code", equalTo("model_not_found")));
        chat("sim-chat").statusCode(200);
        assertEquals(connections, FakeServices.changeStreamConnections.get(), "no reconnect was needed");
    }

    /**
     * One served name in two registry entries (two deployments, as the e2e suite's {@code e2e-twin-a}/{@code -b}),
     * each arriving as its own delta: the proxy joins their endpoints, so a refused connection on the first is retried
     * on the second; a delta that takes one entry out of service and one that brings it back change only that entry's
     * endpoint, the other entry's stays. After each change a marker model is announced and awaited: deltas are applied
     * in order, so once the marker is served the change before it is in the proxy's view.
     */
    @Test
    void entriesSharingANameKeepEveryEndpointThroughDeltasAndARefusedConnectionIsRetried() throws IOException {
        await().atMost(WAIT).until(() -> FakeServices.changeStreamFollowers() > 0);
        String refusing = refusingUrl(); // of this test only: no other test's failures have ejected it
        String live = FakeServices.upstreamUrl();
        // the registry's order puts twin-a first: with no call outstanding the balancer tries its endpoint first
        FakeServices.announce(FakeServices.entry("sim-twin", "twin-b", "Ready", null, live));
        FakeServices.announce(FakeServices.entry("sim-twin", "twin-a", "Ready", null, refusing));
        applied("sim-twin-marker-1");
        chat("sim-twin").statusCode(200);
        assertEquals(1.0, connectRetries("sim-twin"), "the refused connection on twin-a was retried on twin-b");

        // twin-a out of service: twin-b's endpoint stays, calls go to it at once
        FakeServices.announce(FakeServices.entry("sim-twin", "twin-a", "NotReady", "probe failed: connection refused"));
        applied("sim-twin-marker-2");
        chat("sim-twin").statusCode(200);
        chat("sim-twin").statusCode(200);
        assertEquals(1.0, connectRetries("sim-twin"), "no call was sent to the entry out of service");

        // twin-a back (its port still refuses): the delta adds its endpoint beside twin-b's again
        FakeServices.announce(FakeServices.entry("sim-twin", "twin-a", "Ready", null, refusing));
        applied("sim-twin-marker-3");
        chat("sim-twin").statusCode(200);
        assertEquals(2.0, connectRetries("sim-twin"), "twin-a's endpoint was tried again and the call retried");

        // an unrelated entry's delta leaves both alone
        FakeServices.announce(FakeServices.model("sim-twin-marker-1", "Pending", "pod default-0 not ready"));
        applied("sim-twin-marker-4");
        chat("sim-twin").statusCode(200);
        assertEquals(3.0, connectRetries("sim-twin"), "both endpoints are still joined");

        FakeServices.retractEntry("static/twin-a/sim-twin");
        FakeServices.retractEntry("static/twin-b/sim-twin");
        await().atMost(WAIT).untilAsserted(() -> chat("sim-twin").statusCode(404));
        for (int i = 1; i <= 4; i++) {
            FakeServices.retract("sim-twin-marker-" + i);
        }
    }

    /** Announces a marker model and waits until the proxy serves it: every delta sent before it is applied. */
    private static void applied(String marker) {
        FakeServices.announce(FakeServices.model(marker, "Ready", null, FakeServices.upstreamUrl()));
        await().atMost(WAIT).untilAsserted(() -> chat(marker).statusCode(200));
    }

    private static String refusingUrl() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    private static double connectRetries(String model) {
        String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("^parley_proxy_upstream_retries_total\\{model=\"" + Pattern.quote(model)
                + "\",reason=\"connect\"} ([0-9.eE+]+)$", Pattern.MULTILINE).matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0.0;
    }

    @Test
    void aDeltaThatDoesNotFollowOnMakesTheProxyReReadTheSnapshot() {
        await().atMost(WAIT).until(() -> FakeServices.changeStreamFollowers() > 0);
        int connections = FakeServices.changeStreamConnections.get();

        FakeServices.announceAfterAGap(FakeServices.model("sim-after-gap", "Ready", null, FakeServices.upstreamUrl()));
        await().atMost(WAIT).until(() -> FakeServices.changeStreamConnections.get() > connections);
        await().atMost(WAIT).untilAsserted(() -> chat("sim-after-gap").statusCode(200));
        await().atMost(WAIT).until(() -> FakeServices.changeStreamFollowers() > 0);
    }

    @Test
    void theLegacyModelsEventIsStillAcceptedAsASnapshot() {
        await().atMost(WAIT).until(() -> FakeServices.changeStreamFollowers() > 0);
        try {
            FakeServices.legacyChangeStream.set(true);
            synchronized (FakeServices.class) {
                // only on the change stream: the listings the proxy falls back to do not have it
                FakeServices.announcedModels.add(FakeServices.model("sim-legacy", "Ready", null,
                        FakeServices.upstreamUrl()));
            }
            int connections = FakeServices.changeStreamConnections.get();
            FakeServices.registryDown(true);
            FakeServices.registryDown(false);
            await().atMost(WAIT).until(() -> FakeServices.changeStreamConnections.get() > connections);
            await().atMost(WAIT).untilAsserted(() -> chat("sim-legacy").statusCode(200));
        } finally {
            FakeServices.legacyChangeStream.set(false);
        }
    }
}
