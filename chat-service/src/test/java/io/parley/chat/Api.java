package io.parley.chat;

import static io.restassured.RestAssured.given;

import java.util.List;

import org.eclipse.microprofile.config.ConfigProvider;

import io.parley.testsupport.TestTokens;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

/** Small helpers shared by the tests. */
final class Api {

    static final String ALICE = TestTokens.user("alice", "user");
    static final String BOB = TestTokens.user("bob", "user");

    private Api() {
    }

    static RequestSpecification as(String token) {
        return given().auth().oauth2(token).contentType(ContentType.JSON);
    }

    static String createSession(String token, String model) {
        return as(token).body("{\"model\":\"" + model + "\"}").post("/v1/chat/sessions")
                .then().statusCode(201).extract().path("id");
    }

    static List<SseEvents.Event> turn(String token, String sessionId, String content) {
        String body = as(token).accept("text/event-stream")
                .body("{\"content\":\"" + content + "\"}")
                .post("/v1/chat/sessions/" + sessionId + "/turns")
                .then().statusCode(200).contentType(containsEventStream()).extract().asString();
        return SseEvents.parse(body);
    }

    /** A turn with a full JSON body (envelope, attachments), streamed to its end. */
    static List<SseEvents.Event> turnJson(String token, String sessionId, String json) {
        String body = as(token).accept("text/event-stream").body(json)
                .post("/v1/chat/sessions/" + sessionId + "/turns")
                .then().statusCode(200).contentType(containsEventStream()).extract().asString();
        return SseEvents.parse(body);
    }

    /** The proxy requests made for one session (by {@code metadata.session_id}), oldest first. */
    static List<JsonPath> proxyRequestsFor(String sessionId) {
        return proxyRequests().stream().map(r -> JsonPath.from(new io.vertx.core.json.JsonObject(r).encode()))
                .filter(r -> sessionId.equals(r.getString("body.metadata.session_id"))).toList();
    }

    static JsonPath lastProxyRequestFor(String sessionId) {
        List<JsonPath> all = proxyRequestsFor(sessionId);
        if (all.isEmpty()) {
            throw new AssertionError("no proxy request for session " + sessionId);
        }
        return all.get(all.size() - 1);
    }

    static org.hamcrest.Matcher<String> containsEventStream() {
        return org.hamcrest.Matchers.startsWith("text/event-stream");
    }

    static JsonPath session(String token, String sessionId) {
        return as(token).get("/v1/chat/sessions/" + sessionId).then().statusCode(200).extract().jsonPath();
    }

    static String fakeUrl() {
        return ConfigProvider.getConfig().getValue("fake.upstreams.url", String.class);
    }

    /** The proxy requests the fake proxy received, oldest first. */
    static List<java.util.Map<String, Object>> proxyRequests() {
        return given().get(fakeUrl() + "/_fake/requests").then().statusCode(200).extract().jsonPath()
                .getList("requests");
    }

    static int proxyCancels() {
        return given().get(fakeUrl() + "/_fake/cancels").then().statusCode(200).extract().path("cancels");
    }
}
