package io.parley.e2e.usage;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Download;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;

import io.parley.e2e.Browsers;
import io.parley.e2e.Clients;
import io.parley.e2e.PlatformExtension;
import io.parley.e2e.platform.LocalPlatform;
import io.restassured.http.ContentType;

/**
 * Issue 7, the usage page in a real browser against the e2e stack: after chat turns by alice and bob, the admin sees
 * both in the charts, tables and CSV; alice sees only her own calls.
 */
@ExtendWith(PlatformExtension.class)
class UsagePageIT {

    static final String MODEL = "llama-3.1-8b-sim";

    static LocalPlatform platform;
    static Browsers browsers;
    static Browser browser;
    static String aliceSession;
    static String bobSession;

    @BeforeAll
    static void chatAsAliceAndBob(LocalPlatform started) {
        platform = started;
        String alice = token("alice");
        String bob = token("bob");
        String admin = token("admin");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> chat(alice).get("/v1/models/running")
                .then().statusCode(200).body("models.name", hasItem(MODEL)));
        aliceSession = turn(alice, "Usage page: alice asks.");
        bobSession = turn(bob, "Usage page: bob asks.");
        // the proxy's outbox delivers usage asynchronously
        for (String session : List.of(aliceSession, bobSession)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> given().baseUri(platform.usageUrl()).auth().oauth2(admin)
                    .queryParam("correlation_id", session).get("/admin/usage")
                    .then().statusCode(200).extract().jsonPath().getList("data").size() == 1);
        }
        browsers = Browsers.chromium();
        browser = browsers.browser();
        PlaywrightAssertions.setDefaultAssertionTimeout(30_000);
    }

    @AfterAll
    static void closeBrowser() {
        if (browsers != null) {
            browsers.close();
        }
    }

    @Test
    void adminSeesEveryonesCallsInTheChartsTablesAndCsv() throws Exception {
        try (BrowserContext context = browser.newContext(new Browser.NewContextOptions().setAcceptDownloads(true))) {
            Page page = open(context, "admin");
            try {
                assertThat(page.locator("#scope")).hasAttribute("data-scope", "all");
                assertThat(page.locator("#user-filter")).isVisible();
                assertChartsRendered(page);
                assertThat(page.locator("#chart-ttft")).hasAttribute("data-categories", Pattern.compile(".*"
                        + MODEL.replace(".", "\\.") + ".*"));
                assertThat(page.locator("#chart-users")).hasAttribute("data-categories",
                        Pattern.compile("(?=.*\\balice\\b)(?=.*\\bbob\\b).*"));
                Locator slowest = page.locator("#slowest tbody");
                // the table holds the slowest calls of everyone: earlier test classes' long calls may fill it, so
                // bob's call is looked for with the user filter below
                assertThat(slowest.locator("tr")).not().hasCount(0);
                assertTrue(Integer.parseInt(page.locator("#t-calls").textContent().replaceAll("\\D", "")) >= 2);

                String csv = download(page);
                assertTrue(csv.startsWith("request_id,timestamp,"), csv);
                assertTrue(csv.contains(aliceSession), "admin's CSV holds alice's call:\n" + csv);
                assertTrue(csv.contains(bobSession), "admin's CSV holds bob's call:\n" + csv);

                // the admin can narrow everything to bob, whose call is in the tables then
                page.locator("#f-user").fill("bob");
                page.locator("#apply").click();
                assertThat(page.locator("#chart-users")).hasAttribute("data-categories", "bob");
                assertThat(slowest).containsText("bob");
                assertThat(slowest).not().containsText("alice");

                // the user filter narrows everything to alice
                page.locator("#f-user").fill("alice");
                page.locator("#apply").click();
                assertThat(page.locator("#chart-users")).hasAttribute("data-categories", "alice");
                assertThat(slowest).not().containsText("bob");
                String filtered = download(page);
                assertTrue(filtered.contains(aliceSession) && !filtered.contains(bobSession), filtered);
            } finally {
                page.screenshot(new Page.ScreenshotOptions().setPath(platform.dataDir().resolve("usage-admin.png")));
            }
        }
    }

    @Test
    void aliceSeesOnlyHerOwnCallsAndHerCsvHoldsNoOneElse() throws Exception {
        try (BrowserContext context = browser.newContext(new Browser.NewContextOptions().setAcceptDownloads(true))) {
            Page page = open(context, "alice");
            try {
                assertThat(page.locator("#scope")).hasAttribute("data-scope", "own");
                assertThat(page.locator("#user-filter")).isHidden();
                assertChartsRendered(page);
                Locator slowest = page.locator("#slowest tbody");
                assertThat(slowest).containsText("alice");
                assertThat(slowest).not().containsText("bob");
                for (String user : page.locator("#slowest tbody tr td:nth-child(2)").allTextContents()) {
                    assertEquals("alice", user);
                }

                String csv = download(page);
                assertTrue(csv.startsWith("request_id,timestamp,"), csv);
                assertTrue(csv.contains(aliceSession), csv);
                assertFalse(csv.contains(bobSession), "alice's CSV holds bob's call:\n" + csv);
                assertFalse(csv.contains(",bob,"), csv);
            } finally {
                page.screenshot(new Page.ScreenshotOptions().setPath(platform.dataDir().resolve("usage-alice.png")));
            }
        }
    }

    /** Logs in through Keycloak's page at {@code /usage} and waits until the page has loaded its data. */
    private static Page open(BrowserContext context, String user) {
        context.setDefaultTimeout(30_000);
        Page page = context.newPage();
        page.navigate(platform.chatUrl() + "/usage");
        page.locator("#username").fill(user);
        page.locator("#password").fill(user);
        page.locator("#kc-login").click();
        assertThat(page).hasURL(Pattern.compile(".*/usage\\.html$"));
        assertThat(page.locator("body")).hasAttribute("data-loaded", "true");
        assertThat(page.locator("#back-to-playground")).hasAttribute("href", "/");
        return page;
    }

    private static void assertChartsRendered(Page page) {
        for (String id : List.of("chart-timeline", "chart-ttft", "chart-latency")) {
            assertThat(page.locator("#" + id)).hasAttribute("data-rendered", "true");
            assertThat(page.locator("#" + id + " canvas")).hasCount(1);
        }
        assertThat(page.locator("#chart-latency")).hasAttribute("data-categories",
                Pattern.compile(".*" + MODEL.replace(".", "\\.") + ".*"));
    }

    private static String download(Page page) throws Exception {
        Download download = page.waitForDownload(() -> page.locator("#csv-records").click());
        return Files.readString(download.path(), StandardCharsets.UTF_8);
    }

    private static String token(String user) {
        return Clients.token(platform, user);
    }

    private static io.restassured.specification.RequestSpecification chat(String token) {
        return given().baseUri(platform.chatUrl()).auth().oauth2(token).contentType(ContentType.JSON);
    }

    /** A whole turn ({@code Accept: application/json} waits for the answer); returns the session id. */
    private static String turn(String token, String content) {
        String session = chat(token).body(Map.of("model", MODEL)).post("/v1/chat/sessions")
                .then().statusCode(201).extract().path("id");
        chat(token).accept(ContentType.JSON).body(Map.of("content", content))
                .post("/v1/chat/sessions/{id}/turns", session)
                .then().statusCode(200);
        return session;
    }
}
