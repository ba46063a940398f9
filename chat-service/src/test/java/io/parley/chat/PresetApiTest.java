package io.parley.chat;

import static io.parley.chat.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Presets: per user, validated by the rules of session params and turn envelopes. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class PresetApiTest {

    private static String user() {
        return TestTokens.user("pre-" + UUID.randomUUID().toString().substring(0, 8), "user");
    }

    @Test
    void aPresetIsSavedListedUpdatedAndDeleted() {
        String token = user();
        String id = as(token).body("{\"name\":\" Terse \",\"params\":{\"temperature\":0.1,\"max_tokens\":64,"
                + "\"system_prompt\":\"Answer in one line.\"},\"envelope\":{\"endpoint_mode\":\"responses\","
                + "\"metadata\":{\"team\":\"ml\"},\"overrides\":{\"seed\":7},\"web_search\":true}}")
                .post("/v1/chat/presets").then().statusCode(201)
                .body("name", equalTo("Terse"))
                .body("params.temperature", equalTo(0.1f)).body("params.max_tokens", equalTo(64))
                .body("params.system_prompt", equalTo("Answer in one line."))
                .body("envelope.endpoint_mode", equalTo("responses"))
                .body("envelope.metadata.team", equalTo("ml"))
                .body("envelope.overrides.seed", equalTo(7))
                .body("envelope.web_search", equalTo(true))
                .extract().path("id");
        as(token).body("{\"name\":\"Another\"}").post("/v1/chat/presets").then().statusCode(201)
                .body("params.temperature", equalTo(0.7f)).body("envelope", nullValue());
        as(token).get("/v1/chat/presets").then().statusCode(200).body("data.name", equalTo(List.of("Another",
                "Terse")));
        as(token).body("{\"name\":\"Terse\"}").post("/v1/chat/presets").then().statusCode(409)
                .body("error.code", equalTo("preset_exists")).body("error.param", equalTo("name"));
        as(token).body("{\"params\":{\"temperature\":1.5}}").patch("/v1/chat/presets/" + id).then().statusCode(200)
                .body("name", equalTo("Terse")).body("params.temperature", equalTo(1.5f))
                .body("envelope.endpoint_mode", equalTo("responses"));
        as(token).body("{\"name\":\"Another\"}").patch("/v1/chat/presets/" + id).then().statusCode(409);
        as(token).get("/v1/chat/presets/" + id).then().statusCode(200).body("params.temperature", equalTo(1.5f));
        as(token).delete("/v1/chat/presets/" + id).then().statusCode(204);
        as(token).get("/v1/chat/presets/" + id).then().statusCode(404);
        as(token).get("/v1/chat/presets").then().statusCode(200).body("data", hasSize(1));
    }

    @Test
    void badValuesAnswer400NamingTheFieldAndStoreNothing() {
        String token = user();
        as(token).body("{\"name\":\"\"}").post("/v1/chat/presets").then().statusCode(400)
                .body("error.param", equalTo("name"));
        as(token).body("{\"name\":\"" + "n".repeat(101) + "\"}").post("/v1/chat/presets").then().statusCode(400)
                .body("error.param", equalTo("name"));
        as(token).body("{\"name\":\"x\",\"params\":{\"top_p\":1.5}}").post("/v1/chat/presets").then()
                .statusCode(400).body("error.param", equalTo("top_p"));
        as(token).body("{\"name\":\"x\",\"params\":{\"frequency\":1}}").post("/v1/chat/presets").then()
                .statusCode(400).body("error.param", equalTo("frequency"));
        as(token).body("{\"name\":\"x\",\"envelope\":{\"endpoint_mode\":\"nope\"}}").post("/v1/chat/presets")
                .then().statusCode(400).body("error.param", equalTo("envelope.endpoint_mode"));
        as(token).body("{\"name\":\"x\",\"envelope\":{\"overrides\":{\"stream\":false}}}").post("/v1/chat/presets")
                .then().statusCode(400).body("error.param", equalTo("envelope.overrides"));
        as(token).body("{\"name\":\"x\",\"params\":{\"max_tokens\":10},\"envelope\":{\"overrides\":"
                + "{\"max_tokens\":11}}}").post("/v1/chat/presets").then().statusCode(400)
                .body("error.param", equalTo("envelope.overrides.max_tokens"));
        as(token).body("{\"name\":\"x\",\"envelope\":{\"correlation_id\":\"bad id\"}}").post("/v1/chat/presets")
                .then().statusCode(400).body("error.param", equalTo("envelope.correlation_id"));
        as(token).body("{\"name\":\"x\",\"envelope\":{\"web_search\":\"yes\"}}").post("/v1/chat/presets")
                .then().statusCode(400).body("error.param", equalTo("envelope.web_search"));
        as(token).body("{\"name\":\"x\",\"envelope\":{\"colour\":\"red\"}}").post("/v1/chat/presets")
                .then().statusCode(400).body("error.param", equalTo("envelope.colour"));
        as(token).get("/v1/chat/presets").then().statusCode(200).body("data", hasSize(0));
    }

    @Test
    void anotherUsersPresetIsNotFound() {
        String alice = user();
        String bob = user();
        String id = as(alice).body("{\"name\":\"Mine\"}").post("/v1/chat/presets").then().statusCode(201)
                .extract().path("id");
        as(bob).get("/v1/chat/presets/" + id).then().statusCode(404);
        as(bob).body("{\"name\":\"Stolen\"}").patch("/v1/chat/presets/" + id).then().statusCode(404);
        as(bob).delete("/v1/chat/presets/" + id).then().statusCode(404);
        as(bob).get("/v1/chat/presets").then().statusCode(200).body("data", hasSize(0));
        // names are per user
        as(bob).body("{\"name\":\"Mine\"}").post("/v1/chat/presets").then().statusCode(201);
        as(alice).get("/v1/chat/presets/" + id).then().statusCode(200).body("name", equalTo("Mine"));
    }
}
