package io.parley.usage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.contracts.EndpointKind;
import io.parley.contracts.UsageEvent;
import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * The usage event of the contracts module, serialized as the proxy serializes it (Jackson, snake_case), is what this
 * service ingests field by field: a change of the contract that the ingest does not follow fails here.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
class UsageEventContractTest {

    @Inject
    ObjectMapper json;

    @Test
    void everyFieldOfTheContractsUsageEventIsStoredAsSent() throws Exception {
        String requestId = UUID.randomUUID().toString();
        String correlationId = "contract-" + requestId;
        UsageEvent event = new UsageEvent(requestId, "2026-11-22T06:30:00.123Z", "contract-user", "sub-contract",
                "org-1", "key-1", "m-contract", "vllm", "local-simulator", EndpointKind.RESPONSES.wireName(), true, 12,
                40, 81.5, 930.2, 47.1, UsageEvent.CLIENT_DISCONNECTED, "client_gone", correlationId,
                Map.of("source", "sdk", "team", "search"), "sdk",
                List.of(new UsageEvent.Attachment("image/png", 1234, "ab".repeat(32))), 15320L);

        given().auth().oauth2(Events.WRITER).contentType(ContentType.JSON)
                .body(json.writeValueAsString(Map.of("events", List.of(event))))
                .post("/v1/usage/events").then()
                .statusCode(200).body("accepted", equalTo(1)).body("rejected", empty());

        given().auth().oauth2(Events.ADMIN).queryParam("correlation_id", correlationId).get("/admin/usage").then()
                .statusCode(200)
                .body("data[0].request_id", equalTo(requestId))
                .body("data[0].timestamp", equalTo("2026-11-22T06:30:00.123Z"))
                .body("data[0].user_id", equalTo("contract-user"))
                .body("data[0].org_id", equalTo("org-1"))
                .body("data[0].api_key_id", equalTo("key-1"))
                .body("data[0].model", equalTo("m-contract"))
                .body("data[0].engine_type", equalTo("vllm"))
                .body("data[0].deployment", equalTo("local-simulator"))
                .body("data[0].endpoint_kind", equalTo("responses"))
                .body("data[0].stream", equalTo(true))
                .body("data[0].prompt_tokens", equalTo(12))
                .body("data[0].completion_tokens", equalTo(40))
                .body("data[0].ttft_ms", equalTo(81.5f))
                .body("data[0].latency_ms", equalTo(930.2f))
                .body("data[0].tokens_per_sec", equalTo(47.1f))
                .body("data[0].status", equalTo("client_disconnected"))
                .body("data[0].error_type", equalTo("client_gone"))
                .body("data[0].metadata.team", equalTo("search"))
                .body("data[0].source", equalTo("sdk"))
                .body("data[0].attachments[0].mime_type", equalTo("image/png"))
                .body("data[0].attachments[0].size_bytes", equalTo(1234))
                .body("data[0].attachments[0].sha256", equalTo("ab".repeat(32)))
                .body("data[0].bytes_delivered", equalTo(15320));
    }

    @Test
    void everyStatusOfTheContractIsAccepted() throws Exception {
        for (String status : UsageEvent.STATUSES) {
            String requestId = UUID.randomUUID().toString();
            UsageEvent event = new UsageEvent(requestId, "2026-11-22T06:30:00Z", "contract-status", null, null, null,
                    "m-contract", null, null, EndpointKind.CHAT_COMPLETIONS.wireName(), false, 1, 1, null, 5.0, null,
                    status, null, "c-" + requestId, Map.of(), null, List.of());
            given().auth().oauth2(Events.WRITER).contentType(ContentType.JSON)
                    .body(json.writeValueAsString(Map.of("events", List.of(event))))
                    .post("/v1/usage/events").then()
                    .statusCode(200).body("accepted", equalTo(1)).body("rejected", empty());
            given().auth().oauth2(Events.ADMIN).queryParam("correlation_id", "c-" + requestId).get("/admin/usage")
                    .then().statusCode(200).body("data[0].status", equalTo(status))
                    .body("data[0].bytes_delivered", nullValue());
        }
    }
}
