package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.as;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

/**
 * Issue 15, chat-service's part of points 3 and 5: turn overrides bounded by the session's params, blocking turns that
 * hold no thread while they generate, the browser headers (CSP, nosniff, Referrer-Policy, caching), the WebSocket's
 * Origin check, and a logout after which the old session cookie is refused.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class ChatSecurityTest {

    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            + "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";

    static String sessionWith(String params) {
        return as(ALICE).body("{\"model\":\"sim-model\",\"params\":" + params + "}").post("/v1/chat/sessions")
                .then().statusCode(201).extract().path("id");
    }

    static Response turnWithOverrides(String sessionId, String overrides) {
        return as(ALICE).accept("text/event-stream")
                .body("{\"content\":\"hi\",\"overrides\":" + overrides + "}")
                .post("/v1/chat/sessions/" + sessionId + "/turns");
    }

    @Test
    void overridesCannotWidenTheSessionsMaxTokensAndStoreNothingWhenRefused() {
        String id = sessionWith("{\"max_tokens\":5}");
        for (String key : List.of("max_tokens", "max_completion_tokens", "max_output_tokens")) {
            turnWithOverrides(id, "{\"" + key + "\":300}").then().statusCode(400)
                    .body("error.param", equalTo("overrides." + key))
                    .body("error.message", containsString("between 1 and 5"));
        }
        turnWithOverrides(id, "{\"max_tokens\":0}").then().statusCode(400)
                .body("error.param", equalTo("overrides.max_tokens"));
        turnWithOverrides(id, "{\"max_tokens\":\"300\"}").then().statusCode(400)
                .body("error.param", equalTo("overrides.max_tokens"));
        assertTrue(Api.session(ALICE, id).getList("messages").isEmpty(), "a refused turn stores nothing");
        assertTrue(Api.proxyRequestsFor(id).isEmpty(), "and calls nobody");

        // within the session's bound it is sent as before
        turnWithOverrides(id, "{\"max_tokens\":3,\"stop\":[\"###\"]}").then().statusCode(200);
        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals("{\"max_tokens\":3,\"stop\":[\"###\"]}", call.getString("headers.x-parley-overrides"));

        // without a session max_tokens the model's limit (4096) bounds it, as for the session's own params
        String open = sessionWith("{}");
        turnWithOverrides(open, "{\"max_tokens\":5000}").then().statusCode(400)
                .body("error.param", equalTo("overrides.max_tokens"))
                .body("error.message", containsString("between 1 and 4096"));
        turnWithOverrides(open, "{\"max_tokens\":300}").then().statusCode(200);
    }

    @Test
    void overridesOfTheOtherParamsFollowTheSessionsRules() {
        String id = sessionWith("{}");
        turnWithOverrides(id, "{\"temperature\":3}").then().statusCode(400)
                .body("error.param", equalTo("overrides.temperature"));
        turnWithOverrides(id, "{\"top_p\":0}").then().statusCode(400).body("error.param", equalTo("overrides.top_p"));
        turnWithOverrides(id, "{\"n\":8}").then().statusCode(400).body("error.param", equalTo("overrides.n"));
        turnWithOverrides(id, "{\"best_of\":4}").then().statusCode(400).body("error.param", equalTo("overrides.best_of"));
        assertTrue(Api.session(ALICE, id).getList("messages").isEmpty());
    }

    @Test
    void regenerateChecksTheStoredOverridesAgainstTheSessionsParamsAsTheyAreNow() {
        String id = sessionWith("{\"max_tokens\":100}");
        turnWithOverrides(id, "{\"max_tokens\":50}").then().statusCode(200);
        as(ALICE).body("{\"params\":{\"max_tokens\":10}}").patch("/v1/chat/sessions/" + id).then().statusCode(200);
        String answer = Api.session(ALICE, id).getString("messages[1].id");
        as(ALICE).accept("text/event-stream").post("/v1/chat/sessions/" + id + "/messages/" + answer + "/regenerate")
                .then().statusCode(400).body("error.param", equalTo("overrides.max_tokens"));
    }

    @Test
    void blockingTurnsHoldNoWorkerThreadWhileTheyGenerate() throws Exception {
        int turns = 12;
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<String> sessions = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < turns; i++) {
            String id = Api.createSession(ALICE, "hang-model");
            sessions.add(id);
            answers.add(client.sendAsync(HttpRequest.newBuilder(URI.create(base() + "/v1/chat/sessions/" + id + "/turns"))
                    .header("Authorization", "Bearer " + ALICE).header("Content-Type", "application/json")
                    .header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"wait for it " + i + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        // every turn is generating (the hang model sent its first words and holds the stream open) ...
        await().atMost(Duration.ofSeconds(60)).until(() -> sessions.stream().allMatch(id -> {
            JsonPath s = Api.session(ALICE, id);
            return s.getList("messages").size() == 2 && "streaming".equals(s.getString("messages[1].status"));
        }));
        // ... and no thread waits in the blocking turn for it (before: one worker thread per turn, for its whole length)
        await().atMost(Duration.ofSeconds(30)).until(() -> threadsWaitingIn("startAndWait") == 0);
        assertTrue(answers.stream().noneMatch(CompletableFuture::isDone));

        for (String id : sessions) {
            String turn = Api.session(ALICE, id).getString("messages[1].id");
            as(ALICE).post("/v1/chat/sessions/" + id + "/turns/" + turn + "/stop").then().statusCode(200);
        }
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> r = answer.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            JsonPath m = JsonPath.from(r.body());
            assertEquals("stopped", m.getString("status"));
            assertEquals("assistant", m.getString("role"));
        }
    }

    private static long threadsWaitingIn(String method) {
        return Thread.getAllStackTraces().values().stream().filter(stack -> Arrays.stream(stack)
                .anyMatch(f -> f.getClassName().startsWith("io.parley.chat.rest.TurnResource")
                        && f.getMethodName().equals(method)))
                .count();
    }

    @Test
    void apiAnswersCarryTheSecurityHeadersAndAreNeverStored() {
        for (Response r : List.of(as(ALICE).get("/v1/me"), as(ALICE).get("/v1/chat/sessions"),
                as(ALICE).get("/v1/chat/sessions/00000000-0000-0000-0000-000000000000"), given().get("/v1/me"))) {
            assertEquals(CSP, r.header("Content-Security-Policy"));
            assertEquals("nosniff", r.header("X-Content-Type-Options"));
            assertEquals("no-referrer", r.header("Referrer-Policy"));
            assertEquals("no-store", r.header("Cache-Control"));
        }
        // a turn's SSE stream too
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).accept("text/event-stream").body("{\"content\":\"hi\"}").post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(200).header("Cache-Control", "no-store").header("Content-Security-Policy", CSP);
    }

    @Test
    void pagesCarryTheStrictPolicyAndAreRevalidatedNotPublic() {
        Map<String, String> cookies = PlaygroundPageTest.login("carol");
        for (String page : List.of("/", "/index.html", "/usage.html")) {
            Response r = given().cookies(cookies).redirects().follow(false).get(page);
            assertEquals(200, r.statusCode(), page + " " + r.headers());
            assertEquals(CSP, r.header("Content-Security-Policy"));
            assertEquals("nosniff", r.header("X-Content-Type-Options"));
            assertEquals("no-referrer", r.header("Referrer-Policy"));
            assertEquals("no-cache", r.header("Cache-Control"), page);
            // the pages hold no inline script or style the policy would block
            String html = r.asString();
            assertFalse(html.matches("(?s).*<script(?![^>]*\\bsrc=)[^>]*>.*"), page + " has an inline script");
            assertFalse(html.contains("<style"), page + " has an inline style sheet");
            assertFalse(html.matches("(?s).*\\sstyle=.*"), page + " has a style attribute");
            assertFalse(html.matches("(?s).*\\son[a-z]+=.*"), page + " has an inline event handler");
        }
        // the bundle stays cacheable (its name changes with its content) but is never sniffed
        String page = given().cookies(cookies).get("/").asString();
        java.util.regex.Matcher script = java.util.regex.Pattern.compile("src=\"(/static/bundle/[^\"]+\\.js)\"")
                .matcher(page);
        assertTrue(script.find());
        given().get(script.group(1)).then().statusCode(200).header("X-Content-Type-Options", "nosniff")
                .header("Cache-Control", not(containsString("no-store")));
    }

    @Test
    void frameAncestorsComeFromConfiguration() {
        assertTrue(io.parley.chat.security.BrowserHeaders.policy("'self' https://console.example.internal")
                .endsWith("; frame-ancestors 'self' https://console.example.internal"));
    }

    @Test
    void aWebSocketUpgradeFromAnotherSitesPageIsRefused() throws Exception {
        String id = Api.createSession(ALICE, "sim-model");
        for (String origin : List.of("http://evil.example", "http://localhost.evil.example:" + RestAssured.port,
                "http://localhost:1", "null")) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> socket(id, origin));
            assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
            assertEquals(403, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode(), origin);
        }
        // the page's own origin, and a client that is not a browser (no Origin), connect
        socket(id, "http://localhost:" + RestAssured.port).sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10,
                TimeUnit.SECONDS);
        socket(id, null).sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
    }

    private static WebSocket socket(String sessionId, String origin) throws Exception {
        var builder = HttpClient.newHttpClient().newWebSocketBuilder().header("Authorization", "Bearer " + ALICE);
        if (origin != null) {
            builder.header("Origin", origin);
        }
        return builder.buildAsync(URI.create("ws://localhost:" + RestAssured.port + "/ws/chat/" + sessionId),
                new WebSocket.Listener() {
                }).get(10, TimeUnit.SECONDS);
    }

    @Test
    void logoutEndsTheSessionAtKeycloakAndTheOldCookieIsRefusedAfterwards() {
        Map<String, String> cookies = PlaygroundPageTest.login("erin");
        given().cookies(cookies).header("X-Requested-With", "JavaScript").get("/v1/me").then().statusCode(200)
                .body("user", equalTo("erin"));

        Response logout = given().cookies(cookies).redirects().follow(false).get("/logout");
        assertEquals(302, logout.statusCode(), logout.asString());
        // RP-initiated logout: to Keycloak's end-session endpoint, back to the page afterwards
        String location = logout.header("Location");
        assertTrue(location.contains("/realms/parley/protocol/openid-connect/logout"), location);
        assertTrue(location.contains("post_logout_redirect_uri="), location);
        assertTrue(location.contains("id_token_hint="), location);
        // the browser drops its session cookies
        List<String> cleared = logout.headers().getValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("q_session")).toList();
        assertFalse(cleared.isEmpty(), logout.headers().toString());
        assertTrue(cleared.stream().allMatch(c -> c.contains("Max-Age=0") || c.contains("Expires=Thu, 01 Jan 1970")),
                cleared.toString());

        // a copy of the old cookie no longer works: 401 for the page's API calls, a login redirect for the page
        given().cookies(cookies).header("X-Requested-With", "JavaScript").get("/v1/me").then()
                .statusCode(org.hamcrest.Matchers.anyOf(equalTo(401), equalTo(499)));
        Response page = given().cookies(cookies).redirects().follow(false).get("/");
        assertTrue(page.statusCode() == 401 || page.statusCode() == 302
                && page.header("Location").contains("/protocol/openid-connect/auth"), page.statusCode() + " "
                        + page.headers());
        assertFalse(page.asString().contains("Parley Playground"), "not the page");
        given().cookies(cookies).contentType("application/json").body("{\"model\":\"sim-model\"}")
                .post("/v1/chat/sessions").then().statusCode(401);

        // logging in again works
        Map<String, String> again = PlaygroundPageTest.login("erin");
        given().cookies(again).header("X-Requested-With", "JavaScript").get("/v1/me").then().statusCode(200)
                .body("user", equalTo("erin"));
    }

    private static String base() {
        return "http://localhost:" + RestAssured.port;
    }
}
