package io.parley.e2e.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.ColorScheme;
import com.microsoft.playwright.options.ReducedMotion;

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
        return login(platform, user, new View(width, height, false));
    }

    /**
     * A window size and the system's colour scheme (the page follows {@code prefers-color-scheme} until its own toggle
     * is used): the views the layout tests run in, {@link #views()}.
     */
    record View(int width, int height, boolean dark) {
        boolean narrow() {
            return width <= 800;
        }

        @Override
        public String toString() {
            return width + "x" + height + (dark ? " dark" : " light");
        }
    }

    /** 1280x800 and 390x844 (a phone), each light and dark: for {@code @MethodSource("io.parley.e2e.ui.Ui#views")}. */
    static Stream<View> views() {
        return Stream.of(new View(1280, 800, false), new View(1280, 800, true), new View(390, 844, false),
                new View(390, 844, true));
    }

    /** A fresh browser in {@code view}, logged in as {@code user} through Keycloak's login page. */
    Page login(LocalPlatform platform, String user, View view) {
        BrowserContext context = browser.newContext(new Browser.NewContextOptions()
                .setViewportSize(view.width(), view.height())
                .setColorScheme(view.dark() ? ColorScheme.DARK : ColorScheme.LIGHT)
                // no transitions or animations (the page turns them off under prefers-reduced-motion): what a test
                // reads is the final state, not a frame of a fade
                .setReducedMotion(ReducedMotion.REDUCE)
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
        return page.locator("#sessions li[data-id]");
    }

    /** Picks a model, types a message and sends it with Enter. */
    static void chat(Page page, String model, String text) {
        Locator select = page.getByLabel("Model", new Page.GetByLabelOptions().setExact(true));
        assertThat(select.locator("option[value='" + model + "']")).hasCount(1);
        if (select.isEnabled()) {
            select.selectOption(model);
        }
        input(page).fill(text);
        input(page).press("Enter");
    }

    /** Picks a model, types a message and clicks Send (as a person does: the click is what a benchmark times). */
    static void chatWithClick(Page page, String model, String text) {
        Locator select = page.getByLabel("Model", new Page.GetByLabelOptions().setExact(true));
        assertThat(select.locator("option[value='" + model + "']")).hasCount(1);
        if (select.isEnabled()) {
            select.selectOption(model);
        }
        input(page).fill(text);
        send(page).click();
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

    /**
     * The WCAG 2 contrast ratio of an element's text against what is behind it, as the browser paints it: the text
     * colour with its alpha and every ancestor's opacity, over the first opaque background of it or an ancestor
     * (semi-transparent backgrounds on the way are blended in). Below 4.5 fails WCAG AA for normal text.
     */
    static double contrast(Locator element) {
        // a reading is taken only of an element in the document (the page may re-render a message between the
        // locator's resolving and the script: a detached element has no computed style and read as 1.0:1) and only
        // once two readings in a row agree (nothing is changing its colours any more)
        double[] last = { -1 };
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            double previous = last[0];
            last[0] = ((Number) element.evaluate(CONTRAST_JS)).doubleValue();
            return previous >= 0 && previous == last[0] ? last[0] : -1;
        }, r -> r >= 0);
    }

    private static final String CONTRAST_JS = """
            (el) => {
              if (!el.isConnected) return -1;
              const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return [0, 0, 0, 0];
                const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
              const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
              let opacity = 1;
              for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
              const layers = [];
              for (let e = el; e; e = e.parentElement) {
                const bg = parse(getComputedStyle(e).backgroundColor);
                if (bg[3] > 0) layers.push(bg);
                if (bg[3] >= 1) break;
              }
              let back = [255, 255, 255, 1];
              const root = parse(getComputedStyle(document.documentElement).backgroundColor);
              if (root[3] > 0) back = over(root, back);
              for (const layer of layers.reverse()) back = over(layer, back);
              const fg = parse(getComputedStyle(el).color);
              const text = over([fg[0], fg[1], fg[2], fg[3] * opacity], back);
              const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255;
                return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
              const a = lum(text), b = lum(back);
              return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            }""";

    /** Whether the page paints dark: the luminance of the body's background is low. */
    static boolean paintsDark(Page page) {
        return (Boolean) page.evaluate("() => { const m = getComputedStyle(document.body).backgroundColor"
                + ".match(/\\d+/g).map(Number); return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) < 80; }");
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
