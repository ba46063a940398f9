package io.parley.usage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Usage as the client saw it (issue #19): the statuses {@code client_disconnected} and {@code interrupted} and the bytes
 * that reached the client travel from ingest to every query view; readiness is the database and OIDC.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
class ClientSideUsageTest {

    @Test
    void clientDisconnectedAndInterruptedCallsAreStoredWithTheBytesDelivered() {
        String user = "client-side-user";
        Instant now = Instant.now();
        Map<String, Object> gone = Events.with(Events.with(Events.event(user, "m-cs", now), "status",
                "client_disconnected"), "bytes_delivered", 1234);
        Map<String, Object> cut = Events.with(Events.with(Events.event(user, "m-cs", now), "status", "interrupted"),
                "error_type", "server_shutting_down");
        Events.post(List.of(gone, cut)).statusCode(200).body("accepted", equalTo(2)).body("rejected", empty());

        given().auth().oauth2(Events.ADMIN).queryParam("correlation_id", gone.get("correlation_id")).get("/admin/usage")
                .then().statusCode(200)
                .body("data[0].status", equalTo("client_disconnected"))
                .body("data[0].bytes_delivered", equalTo(1234));
        given().auth().oauth2(Events.ADMIN).queryParam("correlation_id", cut.get("correlation_id")).get("/admin/usage")
                .then().statusCode(200)
                .body("data[0].status", equalTo("interrupted"))
                .body("data[0].bytes_delivered", nullValue());
        given().auth().oauth2(Events.ADMIN).queryParam("user", user).queryParam("status", "client_disconnected")
                .queryParam("format", "csv").get("/admin/usage")
                .then().statusCode(200)
                .body(containsString("bytes_delivered"))
                .body(containsString(",1234"));
    }

    @Test
    void negativeBytesDeliveredIsRejectedByIndex() {
        Map<String, Object> bad = Events.with(Events.event("cs-bad", "m-cs", Instant.now()), "bytes_delivered", -1);
        Events.post(List.of(bad)).statusCode(200).body("accepted", equalTo(0))
                .body("rejected[0].reason", containsString("bytes_delivered"));
    }

    @Test
    void readinessIsTheDatabaseAndOidc() {
        given().when().get("/q/health/ready").then().statusCode(200)
                .body("checks.name", hasItem("oidc"))
                .body("checks.name", hasItem("Database connections health check"));
    }
}
