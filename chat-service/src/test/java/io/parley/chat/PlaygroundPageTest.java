package io.parley.chat;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

/** The page and the browser login (code flow against the fake Keycloak), and the session cookie on the API. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class PlaygroundPageTest {

    @Test
    void pageRedirectsAnAnonymousBrowserToKeycloakLogin() {
        given().redirects().follow(false).get("/")
                .then().statusCode(302)
                .header("Location", containsString("/realms/parley/protocol/openid-connect/auth"))
                .header("Location", containsString("client_id=parley-web"));
    }

    @Test
    void pageIsServedAfterLoginAndTheSessionCookieCarriesTheApiWithTheUsersToken() {
        Map<String, String> cookies = login("dave");

        String page = given().cookies(cookies).redirects().follow(false).get("/")
                .then().statusCode(200).contentType(containsString("text/html"))
                .body(containsString("Parley Playground")).extract().asString();
        // the Web Bundler's script of the page (marked, DOMPurify and highlight.js bundled in, no CDN)
        java.util.regex.Matcher script = java.util.regex.Pattern.compile("src=\"(/static/bundle/[^\"]+\\.js)\"")
                .matcher(page);
        assertTrue(script.find(), page);
        given().get(script.group(1)).then().statusCode(200).body(containsString("/v1/chat/sessions"))
                .body(containsString("/ui/models"));

        assertEquals("dave", given().cookies(cookies).header("X-Requested-With", "JavaScript").get("/v1/me")
                .then().statusCode(200).extract().path("user"));
        String id = given().cookies(cookies).contentType(ContentType.JSON).body("{\"model\":\"sim-model\"}")
                .post("/v1/chat/sessions").then().statusCode(201).extract().path("id");
        String sse = given().cookies(cookies).contentType(ContentType.JSON).accept("text/event-stream")
                .body("{\"content\":\"from the browser\"}").post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(200).extract().asString();
        assertTrue(SseEvents.names(SseEvents.parse(sse)).contains("message_end"));

        // the proxy got dave's own code-flow access token, not a service token and not the session cookie
        JsonPath call = Api.proxyRequests().stream()
                .map(r -> JsonPath.from(new io.vertx.core.json.JsonObject(r).encode()))
                .filter(r -> "from the browser".equals(r.getString("body.messages[-1].content")))
                .findFirst().orElseThrow();
        String auth = call.getString("headers.authorization");
        assertTrue(auth.startsWith("Bearer ey"), auth);
        assertNotEquals("Bearer " + Api.ALICE, auth);
        assertEquals("dave", call.getString("body.metadata.user"));
        assertEquals(List.of(id), given().cookies(cookies).get("/v1/chat/sessions").then().statusCode(200)
                .extract().path("data.id"));
    }

    /** Walks the authorization code flow as a browser would and returns the session cookies. */
    static Map<String, String> login(String user) {
        Map<String, String> cookies = new HashMap<>();
        Response start = given().redirects().follow(false).get("/");
        assertEquals(302, start.statusCode());
        cookies.putAll(start.getCookies());
        Response keycloak = given().urlEncodingEnabled(false).redirects().follow(false)
                .get(start.header("Location") + "&login_hint=" + user);
        assertEquals(302, keycloak.statusCode());
        Response callback = given().urlEncodingEnabled(false).redirects().follow(false).cookies(cookies)
                .get(keycloak.header("Location"));
        cookies.putAll(callback.getCookies());
        assertTrue(cookies.keySet().stream().anyMatch(c -> c.startsWith("q_session")), cookies.keySet().toString());
        return cookies;
    }
}
