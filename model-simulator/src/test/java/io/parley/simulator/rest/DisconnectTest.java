package io.parley.simulator.rest;

import static io.parley.simulator.rest.Requests.chat;
import static io.parley.simulator.rest.Requests.with;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.parley.simulator.metrics.SimulatorMetrics;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class DisconnectTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TestHTTPResource("/")
    URL base;

    @Inject
    MeterRegistry registry;

    @Inject
    SimulatorMetrics metrics;

    private double counter(String name) {
        Counter counter = registry.find(name).tag("model", "slow-sim").counter();
        return counter == null ? 0 : counter.count();
    }

    private double requests() {
        return registry.find("simulator.requests").tag("model", "slow-sim").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    @Test
    void clientLeavingWhileWaitingForTheFirstTokenIsCountedAndNothingIsGenerated() throws Exception {
        double disconnectsBefore = counter("simulator.client.disconnects");
        double requestsBefore = requests();
        double tokensBefore = counter("simulator.generated.tokens");
        String json = MAPPER.writeValueAsString(chat("slow-sim", "Hi"));
        try (RawStream stream = new RawStream(base, "/v1/chat/completions", json, "X-Simulator-Ttft-Ms: 60000")) {
            await().atMost(Duration.ofSeconds(5)).until(() -> requests() > requestsBefore);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> counter("simulator.client.disconnects") > disconnectsBefore);
        assertEquals(tokensBefore, counter("simulator.generated.tokens"));
    }

    @Test
    void clientDisconnectMidStreamIsCountedAndStopsGeneration() throws Exception {
        double disconnectsBefore = counter("simulator.client.disconnects");
        // slow-sim: 50 ms between tokens, so 400 tokens would take 20 s.
        String json = MAPPER.writeValueAsString(with(with(chat("slow-sim", "Hi"), "stream", true), "max_tokens", 400));
        try (RawStream stream = new RawStream(base, "/v1/chat/completions", json)) {
            assertEquals("HTTP/1.1 200 OK", stream.statusLine());
            stream.nextData(); // role chunk
            stream.nextData(); // first token
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> counter("simulator.client.disconnects") > disconnectsBefore);
        await().atMost(Duration.ofSeconds(5)).until(() -> metrics.activeStreams() == 0);

        double tokensAfterClose = counter("simulator.generated.tokens");
        assertTrue(tokensAfterClose < 400, "generation stopped early: " + tokensAfterClose);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> counter("simulator.generated.tokens") == tokensAfterClose);
    }
}
