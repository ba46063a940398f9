package io.parley.e2e.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.parley.e2e.ui.Ui.ECHO;
import static io.parley.e2e.ui.Ui.awaitAnswerEnd;
import static io.parley.e2e.ui.Ui.chat;
import static io.parley.e2e.ui.Ui.lastAnswer;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.Cookie;
import com.sun.net.httpserver.HttpServer;

import io.parley.e2e.platform.LocalPlatform;

/**
 * Browser security of the playground in Chromium (issue 15 point 5): the page's strict Content-Security-Policy holds
 * (the page itself breaks none of it), a remote image in a model's answer is shown as a link and never fetched (a
 * listener on loopback counts every request), and "Log out" ends the session at Keycloak: the browser is back at the
 * login page and a copy of the old session cookie is refused.
 */
class BrowserSecurityIT extends BrowserIT {

    @Test
    void theStrictPolicyHoldsAndARemoteImageInAnAnswerIsALinkThatIsNeverFetched(LocalPlatform platform)
            throws Exception {
        List<String> hits = new CopyOnWriteArrayList<>();
        HttpServer listener = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        listener.createContext("/", exchange -> {
            hits.add(exchange.getRequestURI().toString());
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        listener.start();
        try {
            String leak = "http://127.0.0.1:" + listener.getAddress().getPort() + "/leak.png?chat=the-secret-plan";
            Page page = ui.login(platform, "alice");
            List<String> violations = new CopyOnWriteArrayList<>();
            page.onConsoleMessage(m -> {
                if (m.text().contains("Content Security Policy")) {
                    violations.add(m.text());
                }
            });
            Response response = page.navigate(platform.chatUrl() + "/");
            Map<String, String> headers = response.headers();
            String csp = headers.get("content-security-policy");
            assertTrue(csp != null && csp.contains("script-src 'self'") && csp.contains("style-src 'self'")
                    && csp.contains("img-src 'self' data: blob:") && csp.contains("frame-ancestors 'none'"), csp);
            assertEquals("nosniff", headers.get("x-content-type-options"));
            assertEquals("no-referrer", headers.get("referrer-policy"));
            assertEquals("no-cache", headers.get("cache-control"));
            assertThat(page.locator("body[data-ready='true']")).hasCount(1);

            // the model (echo) answers with a markdown image pointing at the listener, as a prompt injection would
            chat(page, ECHO, "Here: ![chart](" + leak + ") and a code block:\n```js\nconst x = 1;\n```");
            awaitAnswerEnd(page);
            assertThat(lastAnswer(page).locator("a.image-link")).hasAttribute("href", leak);
            assertThat(lastAnswer(page).locator("a.image-link")).containsText("chart");
            assertThat(lastAnswer(page).locator("img")).hasCount(0);
            assertThat(lastAnswer(page).locator("pre code")).containsText("const x = 1;");
            assertEquals(List.of(), violations, "the page itself breaks none of its policy");

            // and were an image element to reach the page anyway, the policy refuses to load it
            Object blocked = page.evaluate("url => new Promise(resolve => {"
                    + " document.addEventListener('securitypolicyviolation', e => resolve(e.violatedDirective + ' '"
                    + " + e.blockedURI), { once: true });"
                    + " const img = document.createElement('img'); img.src = url; document.body.append(img); })",
                    leak.replace("leak.png", "direct.png"));
            assertTrue(String.valueOf(blocked).startsWith("img-src"), String.valueOf(blocked));
            assertEquals(List.of(), hits, "nothing reached the listener");
            page.context().close();
        } finally {
            listener.stop(0);
        }
    }

    @Test
    void logOutEndsTheSessionAndTheOldCookieIsRefused(LocalPlatform platform) {
        Page page = ui.login(platform, "bob");
        List<Cookie> before = page.context().cookies(platform.chatUrl());
        assertTrue(before.stream().anyMatch(c -> c.name.equals("q_session")), names(before));
        Map<String, String> old = before.stream().collect(Collectors.toMap(c -> c.name, c -> c.value, (a, b) -> a));
        given().cookies(old).header("X-Requested-With", "JavaScript").get(platform.chatUrl() + "/v1/me").then()
                .statusCode(200);

        page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Log out")).click();
        // Keycloak ended its session and sent the browser back to the page, which asks for a login again
        assertThat(page).hasURL(Ui.startsWith(platform.keycloakUrl() + "/realms/parley/"));
        assertThat(page.locator("#username")).isVisible();
        assertFalse(page.context().cookies(platform.chatUrl()).stream().anyMatch(c -> c.name.startsWith("q_session")),
                names(page.context().cookies(platform.chatUrl())));

        // a copy of the old cookie: the API answers 401, the page is not served
        int status = given().cookies(old).header("X-Requested-With", "JavaScript").get(platform.chatUrl() + "/v1/me")
                .statusCode();
        assertTrue(status == 401 || status == 499, "old cookie on the API: " + status);
        BrowserContext replay = page.context().browser().newContext();
        replay.addCookies(before);
        Page stolen = replay.newPage();
        Response answer = stolen.navigate(platform.chatUrl() + "/");
        assertTrue(answer.status() == 401 || stolen.url().startsWith(platform.keycloakUrl()),
                answer.status() + " " + stolen.url());
        assertThat(stolen.locator("body[data-ready='true']")).hasCount(0);
        replay.close();

        // the same browser logs in again
        page.locator("#username").fill("bob");
        page.locator("#password").fill("bob");
        page.locator("#kc-login").click();
        assertThat(page.locator("header")).containsText("bob");
        page.context().close();
    }

    private static String names(List<Cookie> cookies) {
        return cookies.stream().map(c -> c.name).toList().toString();
    }
}
