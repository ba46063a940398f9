package io.parley.usage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
class MyUsageResourceTest {

    @Test
    void usersSeeOnlyTheirOwnUsageEvenWhenAskingForSomeoneElse() {
        String model = "me-" + UUID.randomUUID();
        String carol = "carol-" + UUID.randomUUID();
        String dave = "dave-" + UUID.randomUUID();
        Instant t = Instant.parse("2026-11-21T09:00:00Z");
        Events.store(List.of(Events.event(carol, model, t), Events.event(carol, model, t.plusSeconds(1)),
                Events.event(dave, model, t)));

        given().auth().oauth2(TestTokens.user(carol, "user")).queryParam("model", model)
                .get("/v1/usage/me").then().statusCode(200)
                .body("data", hasSize(2)).body("data.user_id", everyItem(equalTo(carol)));
        given().auth().oauth2(TestTokens.user(carol, "user")).queryParam("model", model).queryParam("user", dave)
                .get("/v1/usage/me").then().statusCode(200)
                .body("data", hasSize(2)).body("data.user_id", everyItem(equalTo(carol)));
        given().auth().oauth2(TestTokens.user(dave, "user")).queryParam("model", model)
                .get("/v1/usage/me").then().statusCode(200)
                .body("data", hasSize(1)).body("data[0].user_id", equalTo(dave));
    }

    @Test
    void ownSummaryCountsOnlyTheCallersCalls() {
        String model = "mesum-" + UUID.randomUUID();
        String erin = "erin-" + UUID.randomUUID();
        Instant t = Instant.parse("2026-11-21T09:00:00Z");
        Events.store(List.of(Events.event(erin, model, t), Events.event(erin, model, t),
                Events.event("someone-else", model, t)));

        given().auth().oauth2(TestTokens.user(erin, "user")).queryParam("group_by", "model")
                .get("/v1/usage/me/summary").then().statusCode(200)
                .body("groups.key", contains(model)).body("groups[0].calls", equalTo(2))
                .body("totals.calls", equalTo(2)).body("totals.prompt_tokens", equalTo(24));
    }

    @Test
    void ownUsageExportsAsCsv() {
        String frank = "frank-" + UUID.randomUUID();
        Events.store(List.of(Events.event(frank, "m1", Instant.parse("2026-11-21T09:00:00Z"))));
        String csv = given().auth().oauth2(TestTokens.user(frank, "user")).queryParam("format", "csv")
                .get("/v1/usage/me").then().statusCode(200).contentType(startsWith("text/csv")).extract().asString();
        org.junit.jupiter.api.Assertions.assertEquals(3, csv.split("\r\n", -1).length, csv);
    }

    @Test
    void servicesCannotQueryUsage() {
        given().auth().oauth2(Events.WRITER).get("/v1/usage/me").then().statusCode(403);
        given().auth().oauth2(Events.WRITER).get("/v1/usage/me/summary").then().statusCode(403);
    }

    @Test
    void ownUsageNeedsAToken() {
        given().get("/v1/usage/me").then().statusCode(401);
    }
}
