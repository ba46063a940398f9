package io.parley.e2e;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;

import io.parley.e2e.platform.LocalPlatform;

/**
 * A person in a real browser: logs in at the playground through Keycloak's own login page, picks a running model,
 * sends a message and watches the answer stream in with its TTFT and tok/s.
 */
@ExtendWith(PlatformExtension.class)
class PlaygroundIT {

    @Test
    void aliceLogsInThroughKeycloakAndSeesAStreamedAnswerWithTtftAndTokensPerSecond(LocalPlatform platform) {
        try (Browsers chromium = Browsers.chromium();
                BrowserContext context = chromium.browser().newContext()) {
            context.setDefaultTimeout(30_000);
            PlaywrightAssertions.setDefaultAssertionTimeout(30_000);
            Page page = context.newPage();
            try {
                chatAsAlice(platform, page);
            } finally {
                // what the browser showed last, for diagnosis next to the platform's logs
                page.screenshot(new Page.ScreenshotOptions().setPath(platform.dataDir().resolve("playground.png")));
            }
        }
    }

    private static void chatAsAlice(LocalPlatform platform, Page page) {
        page.navigate(platform.chatUrl() + "/");
        // Keycloak's login page (keycloak.v2 theme): stable ids username, password, kc-login
        assertThat(page).hasURL(startsWith(platform.keycloakUrl() + "/realms/parley/"));
        page.locator("#username").fill("alice");
        page.locator("#password").fill("alice");
        page.locator("#kc-login").click();

        // back on the playground, logged in as alice
        assertThat(page).hasURL(startsWith(platform.chatUrl() + "/"));
        assertThat(page.locator("header")).containsText("alice");
        Locator model = page.getByLabel("Model");
        assertThat(model.locator("option", new Locator.LocatorOptions().setHasText(ChatTurnIT.MODEL)))
                .hasCount(1);
        model.selectOption(ChatTurnIT.MODEL);
        page.getByPlaceholder("Send a message").fill("Hello from the browser test");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Send").setExact(true)).click();

        // the user's message, then the assistant's streamed answer and the metrics line of the finished turn
        // scoped to the transcript: the chat list shows the same text once the session takes its title from it
        assertThat(page.getByLabel("Messages").getByText("Hello from the browser test")).isVisible();
        Locator answer = page.locator(".msg.assistant").last();
        assertThat(answer).isVisible();
        assertThat(answer).not().hasText("");
        assertThat(page.getByText(Pattern.compile("TTFT \\d+ ms · \\d+(\\.\\d+)? tok/s"))).isVisible();
    }

    /** A URL prefix as a regular expression Playwright can hand to the browser (JavaScript has no \Q...\E). */
    private static Pattern startsWith(String prefix) {
        return Pattern.compile("^" + prefix.replaceAll("[.*+?^${}()|\\[\\]\\\\/]", "\\\\$0"));
    }
}
