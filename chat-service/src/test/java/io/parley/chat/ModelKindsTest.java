package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/**
 * Every kind of model the registry lists: text completions for models that serve only {@code /v1/completions},
 * reasoning output kept apart with its token count, web search as each API's own field, embedding models refused.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class ModelKindsTest {

    @Test
    void aCompletionOnlyModelGetsTextCompletionsWithTheBranchAsItsPrompt() {
        String session = Api.createSession(ALICE, "completion-model");
        List<SseEvents.Event> events = Api.turn(ALICE, session, "Once");
        SseEvents.Event end = events.get(events.size() - 1);
        assertEquals("complete", end.json().getString("status"));
        assertEquals("Once upon a time".substring(4), end.json().getString("content"));
        assertEquals(81.5f, end.json().getFloat("metrics.ttft_ms"));
        JsonPath sent = Api.lastProxyRequestFor(session);
        assertEquals("/v1/completions", sent.getString("path"));
        assertEquals("Once", sent.getString("body.prompt"));
        assertNull(sent.get("body.messages"));
        // vLLM's default for /v1/completions is 16 tokens: the model's default is sent instead
        assertEquals(512, sent.getInt("body.max_tokens"));
        assertEquals(true, sent.getBoolean("body.stream_options.include_usage"));
        assertEquals("completions", Api.session(ALICE, session).getString("messages[0].envelope.endpoint_mode"));
        // the next turn continues the document
        Api.turn(ALICE, session, " and then");
        assertEquals("Once upon a time and then", Api.lastProxyRequestFor(session).getString("body.prompt"));
        as(ALICE).get("/v1/chat/sessions/" + session + "/code?lang=python").then().statusCode(200)
                .body(containsString("client.completions.create(")).body(containsString("prompt="));
    }

    @Test
    void aCompletionOnlyModelRefusesChatModesAttachmentsAndWebSearch() {
        String session = Api.createSession(ALICE, "completion-model");
        as(ALICE).body("{\"content\":\"x\",\"endpoint_mode\":\"chat_completions\"}")
                .post("/v1/chat/sessions/" + session + "/turns").then().statusCode(400)
                .body("error.param", equalTo("endpoint_mode"))
                .body("error.message", containsString("serves only text completions"));
        as(ALICE).body("{\"content\":\"x\",\"web_search\":true}").post("/v1/chat/sessions/" + session + "/turns")
                .then().statusCode(400).body("error.param", equalTo("web_search"));
        as(ALICE).body("{\"content\":\"x\",\"attachments\":[{\"name\":\"a.png\",\"data_url\":"
                + "\"data:image/png;base64,AAAA\"}]}").post("/v1/chat/sessions/" + session + "/turns").then()
                .statusCode(400).body("error.param", equalTo("attachments"));
        assertEquals(0, Api.session(ALICE, session).getList("messages").size());
    }

    @Test
    void aChatModelMayUseTextCompletionsToo() {
        String session = Api.createSession(ALICE, "sim-model");
        as(ALICE).accept("text/event-stream").body("{\"content\":\"Hi\",\"endpoint_mode\":\"completions\"}")
                .post("/v1/chat/sessions/" + session + "/turns").then().statusCode(200);
        assertEquals("/v1/completions", Api.lastProxyRequestFor(session).getString("path"));
    }

    @Test
    void reasoningIsStreamedAndStoredApartWithItsTokenCount() {
        String session = Api.createSession(ALICE, "reason-model");
        List<SseEvents.Event> events = Api.turn(ALICE, session, "Why?");
        List<String> reasoning = events.stream().filter(e -> "reasoning".equals(e.name()))
                .map(e -> e.json().getString("content")).toList();
        assertEquals(FakeUpstreams.REASONING, reasoning);
        SseEvents.Event end = events.get(events.size() - 1);
        assertEquals("Hello from the simulator.", end.json().getString("content"));
        assertEquals("Let me think.", end.json().getString("reasoning"));
        assertEquals(3, end.json().getInt("metrics.reasoning_tokens"));
        JsonPath s = Api.session(ALICE, session);
        assertEquals("Hello from the simulator.", s.getString("messages[1].content"));
        assertEquals("Let me think.", s.getString("messages[1].reasoning"));
        assertEquals(3, s.getInt("messages[1].metrics.reasoning_tokens"));
        // a late resume gets the stored reasoning too
        String turn = s.getString("messages[1].id");
        List<SseEvents.Event> replay = SseEvents.parse(as(ALICE).accept("text/event-stream")
                .get("/v1/chat/sessions/" + session + "/turns/" + turn + "/events").then().statusCode(200)
                .extract().asString());
        assertTrue(replay.stream().anyMatch(e -> "reasoning".equals(e.name())), SseEvents.names(replay).toString());
        // the reasoning is not sent back as part of the history
        Api.turn(ALICE, session, "And?");
        assertFalse(Api.lastProxyRequestFor(session).getString("body.messages").contains("Let me think"));
        // a model without reasoning has none
        String plain = Api.createSession(ALICE, "sim-model");
        Api.turn(ALICE, plain, "Hi");
        assertNull(Api.session(ALICE, plain).get("messages[1].reasoning"));
    }

    @Test
    void webSearchIsEachApisOwnFieldAndTheSnippetCarriesIt() {
        String chat = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, chat, "{\"content\":\"news\",\"web_search\":true}");
        assertEquals(Map.of(), Api.lastProxyRequestFor(chat).getMap("body.web_search_options"));
        assertEquals(true, Api.session(ALICE, chat).getBoolean("messages[0].envelope.web_search"));
        as(ALICE).get("/v1/chat/sessions/" + chat + "/code?lang=python").then().statusCode(200)
                .body(containsString("web_search_options={}"));
        as(ALICE).get("/v1/chat/sessions/" + chat + "/code?lang=curl").then().statusCode(200)
                .body(containsString("\"web_search_options\" : { }"));

        String responses = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, responses, "{\"content\":\"news\",\"web_search\":true,\"endpoint_mode\":\"responses\"}");
        assertEquals(List.of(Map.of("type", "web_search")),
                Api.lastProxyRequestFor(responses).getList("body.tools"));

        String messages = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, messages, "{\"content\":\"news\",\"web_search\":true,\"endpoint_mode\":\"messages\"}");
        assertEquals(List.of(Map.of("type", "web_search_20250305", "name", "web_search")),
                Api.lastProxyRequestFor(messages).getList("body.tools"));
        as(ALICE).get("/v1/chat/sessions/" + messages + "/code?lang=python").then().statusCode(200)
                .body(containsString("web_search_20250305"));

        // off: no field at all
        String off = Api.createSession(ALICE, "sim-model");
        Api.turn(ALICE, off, "news");
        assertNull(Api.lastProxyRequestFor(off).get("body.web_search_options"));
        as(ALICE).body("{\"content\":\"x\",\"web_search\":\"on\"}").post("/v1/chat/sessions/" + off + "/turns")
                .then().statusCode(400).body("error.param", equalTo("web_search"));
    }

    @Test
    void anEmbeddingModelIsRefusedForAChat() {
        as(ALICE).body("{\"model\":\"embed-model\"}").post("/v1/chat/sessions").then().statusCode(400)
                .body("error.code", equalTo("model_not_chat")).body("error.param", equalTo("model"));
        String session = Api.createSession(ALICE, "sim-model");
        as(ALICE).body("{\"model\":\"embed-model\"}").post("/v1/chat/sessions/" + session + "/fork").then()
                .statusCode(400).body("error.code", equalTo("model_not_chat"));
        as(ALICE).body("{\"model\":\"embed-model\"}").patch("/v1/chat/sessions/" + session).then().statusCode(400)
                .body("error.code", equalTo("model_not_chat"));
    }
}
