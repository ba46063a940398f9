package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

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
