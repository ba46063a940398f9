package io.parley.proxy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.proxy.service.ModelCatalog;
import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/** Statuses under faults, usage as the client saw it, and a readiness that tells what the proxy needs to serve. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class FaultStatusesTest {

    @TestHTTPResource("/")
    URL base;

    @Inject
    DataSource dataSource;

    @Inject
    ModelCatalog catalog;

    @Test
    void unknownModelWhileTheRegistryIsUnreachableAnswers503NamingTheRegistry() {
        try {
            FakeServices.registryDown(true);
            await().atMost(Duration.ofSeconds(10)).until(() -> !catalog.registryReachable());
            given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                    .body(ChatCompletionsStreamingTest.chat("not-cached-anywhere", false).encode())
                    .when().post("/v1/chat/completions")
                    .then().statusCode(503)
                    .header("Retry-After", equalTo("5"))
                    .body("error.code", equalTo("registry_unavailable"))
                    .body("error.type", equalTo("service_unavailable_error"))
                    .body("error.message", containsString("registry"));
            // a cached model is still served meanwhile
            given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                    .body(ChatCompletionsStreamingTest.chat("sim-chat", false).encode())
                    .when().post("/v1/chat/completions").then().statusCode(200);
        } finally {
            FakeServices.registryDown(false);
        }
        await().atMost(Duration.ofSeconds(20)).until(catalog::registryReachable);
        given().header("Authorization", ProxyClient.bearer()).contentType("application/json")
                .body(ChatCompletionsStreamingTest.chat("not-cached-anywhere", false).encode())
                .when().post("/v1/chat/completions")
                .then().statusCode(404).body("error.code", equalTo("model_not_found"));
    }

    @Test
    void clientThatLeavesBeforeTheLastByteIsRecordedClientDisconnectedWithTheBytesItWasSent() throws Exception {
        String correlation = UUID.randomUUID().toString();
        String body = ChatCompletionsStreamingTest.chat("sim-huge", false).encode();
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", base.getPort()));
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: " + ProxyClient.bearer() + "\r\nX-Correlation-Id: " + correlation + "\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] head = in.readNBytes(1024); // the status line and the start of the answer, then the client leaves
            assertTrue(new String(head, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"));
            socket.setSoLinger(true, 0);
        }
        JsonObject usage = await().atMost(Duration.ofSeconds(20))
                .until(() -> Outbox.byCorrelationId(dataSource, correlation), r -> r.isPresent()).orElseThrow().event();
        // before: "ok" as soon as the upstream's answer was handed to the connection, with the upstream's latency
        assertEquals("client_disconnected", usage.getString("status"), usage.encode().substring(0, 200));
        assertNotNull(usage.getLong("bytes_delivered"));
        assertTrue(usage.getLong("bytes_delivered") < FakeServices.HUGE_ANSWER_CHARS, usage.getLong("bytes_delivered")
                + " bytes delivered");
        assertEquals(FakeServices.TOKENS.size(), usage.getInteger("completion_tokens"));
    }

    @Test
    void aCompleteAnswerRecordsTheBytesTheClientGotAndOk() throws Exception {
        String correlation = UUID.randomUUID().toString();
        ProxyClient.Result result = ProxyClient.post(base.getPort(), "/v1/chat/completions",
                ChatCompletionsStreamingTest.chat("sim-chat", true),
                java.util.Map.of("Authorization", ProxyClient.bearer(), "X-Correlation-Id", correlation));
        assertEquals(200, result.status());
        JsonObject usage = await().atMost(Duration.ofSeconds(10))
                .until(() -> Outbox.byCorrelationId(dataSource, correlation), r -> r.isPresent()).orElseThrow().event();
        assertEquals("ok", usage.getString("status"));
        assertEquals(result.body().getBytes(StandardCharsets.UTF_8).length, usage.getLong("bytes_delivered"));
    }

    @Test
    void readinessIsTheRegistryViewAndOidcNotTheUsageDatabaseWhoseStateIsInTheDetails() {
        given().when().get("/q/health/ready").then().statusCode(200)
                .body("checks.name", hasItem("model-registry"))
                .body("checks.name", hasItem("oidc"))
                .body("checks.name", hasItem("shutdown"))
                .body("checks.name", not(hasItem("Database connections health check")))
                .body("checks.find { it.name == 'model-registry' }.data.usage_database_reachable", equalTo(true))
                .body("checks.find { it.name == 'model-registry' }.data.usage_dropped_total", equalTo(0));
    }
}
