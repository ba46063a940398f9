package io.parley.usage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
class AdminUsageResourceTest {

    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");

    @Test
    void filtersByModelSourceStatusAndTimeRange() {
        String user = "filter-user";
        List<Map<String, Object>> batch = List.of(
                Events.event(user, "alpha", T0),
                Events.with(Events.event(user, "beta", T0.plusSeconds(60)), "status", "error"),
                Events.with(Events.event(user, "alpha", T0.plusSeconds(120)), "source", "api"),
                Events.with(Events.event(user, "alpha", T0.plusSeconds(180)), "status", "cancelled"));
        Events.store(batch);

        given().auth().oauth2(Events.ADMIN).queryParam("user", user).queryParam("model", "alpha")
                .get("/admin/usage").then().statusCode(200)
                .body("data", hasSize(3)).body("data.model", everyItem(equalTo("alpha")));
        given().auth().oauth2(Events.ADMIN).queryParam("user", user).queryParam("status", "error")
                .get("/admin/usage").then().statusCode(200)
                .body("data.request_id", contains(batch.get(1).get("request_id")));
        given().auth().oauth2(Events.ADMIN).queryParam("user", user).queryParam("source", "api")
                .get("/admin/usage").then().statusCode(200)
                .body("data.request_id", contains(batch.get(2).get("request_id")));
        given().auth().oauth2(Events.ADMIN).queryParam("user", user)
                .queryParam("from", T0.plusSeconds(60).toString()).queryParam("to", T0.plusSeconds(180).toString())
                .get("/admin/usage").then().statusCode(200)
                .body("data.request_id", contains(batch.get(2).get("request_id"), batch.get(1).get("request_id")));
        given().auth().oauth2(Events.ADMIN).queryParam("correlation_id", batch.get(3).get("correlation_id"))
                .get("/admin/usage").then().statusCode(200)
                .body("data.request_id", contains(batch.get(3).get("request_id")));
    }

    @Test
    void cursorPagesThroughEveryRecordNewestFirstWithoutGapsOrRepeats() {
        String user = "paging-user";
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            // two records share each timestamp so that the request id must break ties
            batch.add(Events.event(user, "m-page", T0.plusSeconds(i / 2)));
        }
        Events.store(batch);

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var request = given().auth().oauth2(Events.ADMIN).queryParam("user", user).queryParam("limit", 3);
            if (cursor != null) {
                request.queryParam("cursor", cursor);
            }
            JsonPath page = request.get("/admin/usage").then().statusCode(200).extract().jsonPath();
            seen.addAll(page.getList("data.request_id", String.class));
            cursor = page.getString("next_cursor");
            pages++;
        } while (cursor != null);

        assertEquals(3, pages);
        List<String> expected = batch.stream()
                .sorted((a, b) -> {
                    int byTime = ((String) b.get("timestamp")).compareTo((String) a.get("timestamp"));
                    return byTime != 0 ? byTime : ((String) b.get("request_id")).compareTo((String) a.get("request_id"));
                })
                .map(e -> (String) e.get("request_id")).toList();
        assertEquals(expected, seen);
    }

    @Test
    void lastPageHasNoNextCursor() {
        String user = "single-page-user";
        Events.store(List.of(Events.event(user, "m1", T0)));
        given().auth().oauth2(Events.ADMIN).queryParam("user", user).get("/admin/usage").then()
                .statusCode(200).body("data", hasSize(1)).body("next_cursor", nullValue());
    }

    @Test
    void invalidCursorAndParametersAre400() {
        given().auth().oauth2(Events.ADMIN).queryParam("cursor", "not-a-cursor").get("/admin/usage").then()
                .statusCode(400).body("error.param", equalTo("cursor"));
        given().auth().oauth2(Events.ADMIN).queryParam("from", "monday").get("/admin/usage").then()
                .statusCode(400).body("error.param", equalTo("from"));
        given().auth().oauth2(Events.ADMIN).queryParam("status", "weird").get("/admin/usage").then()
                .statusCode(400).body("error.param", equalTo("status"));
        given().auth().oauth2(Events.ADMIN).queryParam("limit", 0).get("/admin/usage").then()
                .statusCode(400).body("error.param", equalTo("limit"));
        given().auth().oauth2(Events.ADMIN).queryParam("limit", "many").get("/admin/usage").then()
                .statusCode(400).body("error.param", equalTo("limit"));
    }

    @Test
    void adminQueryWithoutTokenIsUnauthorized() {
        given().get("/admin/usage").then().statusCode(401).body("error.type", equalTo("authentication_error"));
    }

    @Test
    void adminQueryByAUserIsForbidden() {
        given().auth().oauth2(TestTokens.user("alice", "user")).get("/admin/usage").then().statusCode(403)
                .body("error.code", equalTo("forbidden"));
    }

    @Test
    void adminQueryByTheWriterServiceIsForbidden() {
        given().auth().oauth2(Events.WRITER).get("/admin/usage").then().statusCode(403);
    }

    @Test
    void readinessReportsTheDatabase() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'Database connections health check' }.status", equalTo("UP"));
        given().get("/q/health/live").then().statusCode(200).body("status", notNullValue());
    }
}
