package io.parley.e2e.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.restassured.RestAssured.given;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.AriaRole;

import io.parley.e2e.Browsers;
import io.parley.e2e.Clients;
import io.parley.e2e.platform.LocalPlatform;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/**
 * Debian's Chromium driven by Playwright (never downloaded: {@code PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD}), a login
 * through Keycloak's own page, and the playground's locators shared by the UI tests.
 */
final class Ui implements AutoCloseable {

    static final String LLAMA = "llama-3.1-8b-sim";
    static final String ECHO = "echo-sim";
    private final Browsers browsers;
    private final Browser browser;

    private Ui(Browsers browsers) {
        this.browsers = browsers;
        this.browser = browsers.browser();
    }

    static Ui start() {
        return new Ui(Browsers.chromium());
    }

    /** A fresh browser (own cookies) at 1280x800, logged in as {@code user} through Keycloak's login page. */
    Page login(LocalPlatform platform, String user) {
        return login(platform, user, 1280, 800);
    }

    Page login(LocalPlatform platform, String user, int width, int height) {
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(width, height)
                .setPermissions(List.of("clipboard-read", "clipboard-write")));
        context.setDefaultTimeout(30_000);
        Page page = context.newPage();
        page.navigate(platform.chatUrl() + "/");
        assertThat(page).hasURL(startsWith(platform.keycloakUrl() + "/realms/parley/"));
        page.locator("#username").fill(user);
        page.locator("#password").fill(user);
        page.locator("#kc-login").click();
        assertThat(page.locator("header")).containsText(user);
        // start() has finished: a field filled earlier could still be rewritten by the chat the page opens
        assertThat(page.locator("body[data-ready='true']")).hasCount(1);
        return page;
    }

    /** A URL prefix as a regular expression the browser understands (JavaScript has no \\Q...\\E). */
    static Pattern startsWith(String prefix) {
        return Pattern.compile("^" + prefix.replaceAll("[.*+?^${}()|\\[\\]\\\\/]", "\\\\$0"));
    }

    static Locator send(Page page) {
        return page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Send").setExact(true));
    }

    static Locator input(Page page) {
        return page.getByPlaceholder("Send a message");
    }

    static Locator lastAnswer(Page page) {
        return page.locator(".msg.assistant").last();
    }

    static Locator sessions(Page page) {
        return page.locator("#sessions li");
    }

    /** Picks a model, types a message and sends it with Enter. */
    static void chat(Page page, String model, String text) {
        Locator select = page.getByLabel("Model");
        assertThat(select.locator("option[value='" + model + "']")).hasCount(1);
        if (select.isEnabled()) {
            select.selectOption(model);
        }
        input(page).fill(text);
        input(page).press("Enter");
    }

    /** Waits until the last answer is finished (its tools appear) and not streaming any more. */
    static void awaitAnswerEnd(Page page) {
        assertThat(lastAnswer(page).getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions()
                .setName("Regenerate this answer")))
                .isVisible(new com.microsoft.playwright.assertions.LocatorAssertions.IsVisibleOptions().setTimeout(60_000));
        assertThat(page.locator("#stop")).isHidden();
    }

    /**
     * Saves what the page shows to {@code e2e/target/screenshots/}, or, with {@code -Dparley.e2e.update-screenshots=true},
     * to the README's {@code docs/images/} (so a test run leaves the tracked pictures alone unless asked to refresh them).
     */
    static void screenshot(Page page, String name) {
        Path root = Path.of(System.getProperty("parley.root", "..")).toAbsolutePath().normalize();
        Path dir = Boolean.getBoolean("parley.e2e.update-screenshots") ? root.resolve("docs/images")
                : root.resolve("e2e/target/screenshots");
        page.screenshot(new Page.ScreenshotOptions().setPath(dir.resolve(name)));
    }

    /** A bearer token for a realm user from the real Keycloak (public client parley-cli, password grant). */
    static String token(LocalPlatform platform, String user) {
        return Clients.token(platform, user);
    }

    static RequestSpecification chatApi(LocalPlatform platform, String user) {
        return given().baseUri(platform.chatUrl()).auth().oauth2(token(platform, user)).contentType(ContentType.JSON);
    }

    @Override
    public void close() {
        browsers.close();
    }
}
