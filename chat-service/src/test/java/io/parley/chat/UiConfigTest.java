package io.parley.chat;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.chat.config.ChatConfig;
import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;

/**
 * {@code GET /ui/config}: the limits the playground checks before a send are the ones the turn endpoint applies (a
 * value the page would accept by them is accepted by the server, one it would refuse is refused with the same param).
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class UiConfigTest {

    @Inject
    ChatConfig config;

    @Test
    void theLimitsAreTheServersOwn() {
        JsonPath limits = given().auth().oauth2(Api.ALICE).get("/ui/config").then().statusCode(200)
                .contentType(ContentType.JSON).extract().jsonPath();
        assertEquals(List.of("input", "messages", "model", "prompt", "stream", "stream_options"),
                limits.getList("protected_override_keys"));
        assertEquals(config.chat().attachments().maxBytes().asLongValue(), limits.getLong("max_attachment_bytes"));
        assertEquals(32, limits.getInt("max_attachments"));
        assertEquals(16, limits.getInt("max_metadata"));
        assertEquals(64, limits.getInt("max_metadata_key"));
        assertEquals(512, limits.getInt("max_metadata_value"));
        assertEquals(16 * 1024, limits.getInt("max_overrides_bytes"));

        // the page matches the pattern against the whole value: what it accepts the server accepts, and the reverse
        Pattern page = Pattern.compile("^(?:" + limits.getString("correlation_id_pattern") + ")$");
        String session = given().auth().oauth2(Api.ALICE).contentType(ContentType.JSON).body("{\"model\":\"sim-model\"}")
                .post("/v1/chat/sessions").then().statusCode(201).extract().path("id");
        String accepted = "run-42:a.b_c";
        String refused = "has space";
        assertTrue(page.matcher(accepted).matches());
        assertTrue(!page.matcher(refused).matches());
        assertTrue(!page.matcher("x".repeat(129)).matches());
        given().auth().oauth2(Api.ALICE).contentType(ContentType.JSON).accept("text/event-stream")
                .body("{\"content\":\"hi\",\"correlation_id\":\"" + refused + "\"}")
                .post("/v1/chat/sessions/" + session + "/turns").then().statusCode(400)
                .body("error.param", org.hamcrest.Matchers.equalTo("correlation_id"));
        given().auth().oauth2(Api.ALICE).contentType(ContentType.JSON)
                .body("{\"content\":\"hi\",\"overrides\":{\"" + limits.getList("protected_override_keys").get(0)
                        + "\":1}}")
                .post("/v1/chat/sessions/" + session + "/turns").then().statusCode(400)
                .body("error.param", org.hamcrest.Matchers.startsWith("overrides"));
    }

    @Test
    void theConfigNeedsALogin() {
        given().redirects().follow(false).get("/ui/config").then().statusCode(org.hamcrest.Matchers.oneOf(302, 401));
    }
}
