package io.parley.chat.usage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import io.parley.chat.FakeUpstreams;
import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/**
 * The usage page's relay: admins are sent to usage-service's admin views, everybody else to their own view with the
 * {@code user} filter dropped, always with the caller's own token; CSV downloads; errors as JSON; the page itself.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
@QuarkusTestResource(FakeUsageService.class)
class UsageRelayTest {

    static final String ALICE = TestTokens.user("alice", "user");
    static final String ADMIN = TestTokens.user("admin", "user", "admin");

    @Test
    void adminSummaryGoesToTheAdminApiWithTheAdminsTokenAndOnlyKnownFilters() {
        int before = requests().size();
        JsonPath body = as(ADMIN).get("/v1/usage/summary?group_by=model&status=ok&from=2026-11-21T00:00:00Z&evil=1")
                .then().statusCode(200).contentType(startsWith("application/json")).extract().jsonPath();
        assertEquals(3, body.getInt("totals.calls"));

        JsonPath seen = last(before);
        assertEquals("/admin/usage/summary", seen.getString("path"));
        assertEquals("Bearer " + ADMIN, seen.getString("authorization"));
        assertEquals(Map.of("group_by", "model", "status", "ok", "from", "2026-11-21T00:00:00Z"),
                seen.getMap("params"));
    }

    @Test
    void adminSeesEveryoneAndMayFilterRecordsByUser() {
        assertEquals(List.of("alice", "alice", "bob"), as(ADMIN).get("/v1/usage/records")
                .then().statusCode(200).extract().jsonPath().getList("data.user_id"));

        int before = requests().size();
        assertEquals(List.of("req-b1"), as(ADMIN).get("/v1/usage/records?user=bob&limit=50")
                .then().statusCode(200).extract().jsonPath().getList("data.request_id"));
        JsonPath seen = last(before);
        assertEquals("/admin/usage", seen.getString("path"));
        assertEquals(Map.of("user", "bob", "limit", "50"), seen.getMap("params"));
    }

    @Test
    void userRecordsComeFromTheirOwnViewAndAnotherUsersNameIsIgnored() {
        int before = requests().size();
        List<String> users = as(ALICE).get("/v1/usage/records?user=bob")
                .then().statusCode(200).extract().jsonPath().getList("data.user_id");
        assertEquals(List.of("alice", "alice"), users);

        JsonPath seen = last(before);
        assertEquals("/v1/usage/me", seen.getString("path"));
        assertEquals("Bearer " + ALICE, seen.getString("authorization"));
        assertFalse(seen.getMap("params").containsKey("user"), seen.prettify());
    }

    @Test
    void userSummaryComesFromTheirOwnSummary() {
        int before = requests().size();
        JsonPath body = as(ALICE).get("/v1/usage/summary?group_by=user&user=bob")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(List.of("alice"), body.getList("groups.key"));
        assertEquals(2, body.getInt("totals.calls"));
        JsonPath seen = last(before);
        assertEquals("/v1/usage/me/summary", seen.getString("path"));
        assertEquals(Map.of("group_by", "user"), seen.getMap("params"));
    }

    @Test
    void csvDownloadIsAnAttachmentHoldingOnlyTheCallersRowsForAUser() {
        String adminCsv = as(ADMIN).get("/v1/usage/records?format=csv")
                .then().statusCode(200).contentType(startsWith("text/csv"))
                .header("Content-Disposition", equalTo("attachment; filename=\"usage.csv\""))
                .extract().asString();
        assertEquals("request_id,user_id,model,status\r\nreq-a1,alice,sim-model,ok\r\n"
                + "req-a2,alice,sim-model,error\r\nreq-b1,bob,other-model,ok\r\n", adminCsv);

        int before = requests().size();
        String aliceCsv = given().auth().oauth2(ALICE).accept("text/csv").get("/v1/usage/records?user=bob")
                .then().statusCode(200).contentType(startsWith("text/csv"))
                .header("Content-Disposition", equalTo("attachment; filename=\"my-usage.csv\""))
                .extract().asString();
        assertEquals("request_id,user_id,model,status\r\nreq-a1,alice,sim-model,ok\r\n"
                + "req-a2,alice,sim-model,error\r\n", aliceCsv);
        JsonPath seen = last(before);
        assertEquals("/v1/usage/me", seen.getString("path"));
        assertEquals("csv", seen.getString("params.format"));

        assertTrue(as(ALICE).get("/v1/usage/summary?format=csv").then().statusCode(200)
                .contentType(startsWith("text/csv")).extract().asString().startsWith("key,calls\r\n"));
    }

    @Test
    void scopeNamesTheCallerAndWhetherTheViewsCoverEveryone() {
        as(ADMIN).get("/v1/usage/scope").then().statusCode(200)
                .body("user", equalTo("admin")).body("admin", equalTo(true)).body("scope", equalTo("all"));
        as(ALICE).get("/v1/usage/scope").then().statusCode(200)
                .body("user", equalTo("alice")).body("admin", equalTo(false)).body("scope", equalTo("own"));
    }

    @Test
    void anonymousCallsGet401JsonNotARedirect() {
        given().redirects().follow(false).get("/v1/usage/records")
                .then().statusCode(401).contentType(startsWith("application/json"))
                .body("error.type", equalTo("authentication_error"));
        assertTrue(requests().stream().noneMatch(r -> r.get("authorization") == null));
    }

    @Test
    void usageServiceClientErrorsAreRelayedWithTheirStatusAndJson() {
        as(ADMIN).get("/v1/usage/records?model=bad-model").then().statusCode(400)
                .contentType(startsWith("application/json"))
                .body("error.param", equalTo("model")).body("error.message", equalTo("model is not valid"));
    }

    @Test
    void usageServiceFailureIs502AndAnUnreachableUsageServiceIs503() {
        as(ALICE).get("/v1/usage/summary?model=boom-model").then().statusCode(502)
                .contentType(startsWith("application/json"))
                .body("error.code", equalTo("usage_error")).body("error.type", equalTo("upstream_error"))
                .body(org.hamcrest.Matchers.not(containsString("database on fire")));
        as(ALICE).get("/v1/usage/records?model=drop-model").then().statusCode(503)
                .contentType(startsWith("application/json"))
                .body("error.code", equalTo("usage_unavailable"));
    }

    @Test
    void usagePageRedirectsAnAnonymousBrowserToKeycloakLogin() {
        given().redirects().follow(false).get("/usage.html")
                .then().statusCode(302)
                .header("Location", containsString("/realms/parley/protocol/openid-connect/auth"));
    }

    @Test
    void usagePageIsServedWithItsEChartsBundleAndTheSessionCookieCarriesTheUsersToken() {
        Map<String, String> cookies = login("carol");
        String location = given().cookies(cookies).redirects().follow(false).get("/usage")
                .then().statusCode(303).extract().header("Location");
        assertTrue(location.endsWith("/usage.html"), location);
        String html = given().cookies(cookies).redirects().follow(false).get("/usage.html")
                .then().statusCode(200).contentType(containsString("text/html")).extract().asString();
        assertTrue(html.contains("Parley Usage"), html);
        assertTrue(html.contains("href=\"/\""), "link back to the playground");
        String script = html.replaceAll("(?s).*<script type=\"module\" src=\"(/static/bundle/usage-[^\"]+\\.js)\".*",
                "$1");
        assertTrue(script.startsWith("/static/bundle/usage-"), html);
        String js = given().get(script).then().statusCode(200).extract().asString();
        assertTrue(js.contains("/v1/usage/summary") && js.contains("echarts"), "the bundle holds the page and ECharts");

        int before = requests().size();
        given().cookies(cookies).header("X-Requested-With", "JavaScript").get("/v1/usage/records")
                .then().statusCode(200);
        JsonPath seen = last(before);
        assertEquals("/v1/usage/me", seen.getString("path"));
        assertTrue(seen.getString("authorization").startsWith("Bearer ey"), seen.prettify());
        assertFalse(seen.getString("authorization").equals("Bearer " + ALICE));
    }

    private static RequestSpecification as(String token) {
        return given().auth().oauth2(token).redirects().follow(false);
    }

    private static List<Map<String, Object>> requests() {
        String base = ConfigProvider.getConfig().getValue("fake.usage.url", String.class);
        return given().get(base + "/_fake/usage-requests").then().statusCode(200).extract().jsonPath()
                .getList("requests");
    }

    /** The one request usage-service got after {@code before} requests. */
    private static JsonPath last(int before) {
        List<Map<String, Object>> all = requests();
        assertEquals(before + 1, all.size(), "exactly one call to usage-service");
        return JsonPath.from(new io.vertx.core.json.JsonObject(all.get(all.size() - 1)).encode());
    }

    /** Walks the authorization code flow against the fake Keycloak as a browser would; returns the cookies. */
    private static Map<String, String> login(String user) {
        Map<String, String> cookies = new HashMap<>();
        Response start = given().redirects().follow(false).get("/usage.html");
        assertEquals(302, start.statusCode());
        cookies.putAll(start.getCookies());
        Response keycloak = given().urlEncodingEnabled(false).redirects().follow(false)
                .get(start.header("Location") + "&login_hint=" + user);
        Response callback = given().urlEncodingEnabled(false).redirects().follow(false).cookies(cookies)
                .get(keycloak.header("Location"));
        cookies.putAll(callback.getCookies());
        assertTrue(cookies.keySet().stream().anyMatch(c -> c.startsWith("q_session")), cookies.keySet().toString());
        return cookies;
    }
}
