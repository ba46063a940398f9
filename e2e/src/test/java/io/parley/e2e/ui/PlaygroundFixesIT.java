package io.parley.e2e.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.parley.e2e.ui.Ui.ECHO;
import static io.parley.e2e.ui.Ui.LLAMA;
import static io.parley.e2e.ui.Ui.awaitAnswerEnd;
import static io.parley.e2e.ui.Ui.chat;
import static io.parley.e2e.ui.Ui.input;
import static io.parley.e2e.ui.Ui.lastAnswer;
import static io.parley.e2e.ui.Ui.send;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.BoundingBox;

import io.parley.e2e.platform.LocalPlatform;

/**
 * What a new user tripped over in the playground (issue #16, "What a user minds most"), each fix seen in Chromium:
 * typed text kept and refusals at their field, the chat column's width without the sidebar, auto-scroll that leaves a
 * reader alone, contrast (WCAG AA) and dark mode. The layout cases run at 1280x800 and 390x844, light and dark.
 */
class PlaygroundFixesIT extends BrowserIT {

    @Test
    void typedTextIsKeptWhenThePageRefusesASendAndEachRefusalIsShownAtItsField(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Model", new Page.GetByLabelOptions().setExact(true)).selectOption(LLAMA);
        // max tokens above the model's context (8,192): at the field, focused, the text still in the box
        page.getByLabel("Max tokens").fill("9000");
        input(page).fill("first  line\nsecond line");
        input(page).press("Enter");
        assertThat(page.locator("#max-tokens-error")).containsText("Max tokens must be a whole number from 1 to 8192");
        assertThat(page.getByLabel("Max tokens")).isFocused();
        assertThat(page.getByLabel("Max tokens")).hasAttribute("aria-invalid", "");
        assertThat(input(page)).hasValue("first  line\nsecond line");
        assertThat(page.locator("#error-banner")).isHidden();
        assertThat(page.locator(".msg")).hasCount(0);
        // fixing the field clears its error
        page.getByLabel("Max tokens").fill("");
        assertThat(page.locator("#max-tokens-error")).isHidden();

        // top-p 1.5: at its field in the Advanced panel, which opens
        page.locator("#advanced summary").click();
        page.getByLabel("Top-p").fill("1.5");
        send(page).click();
        assertThat(page.locator("#top-p-error")).hasText("Top-p must be greater than 0 and at most 1.");
        assertThat(page.getByLabel("Top-p")).isFocused();
        assertThat(input(page)).hasValue("first  line\nsecond line");
        assertThat(page.locator("#error-banner")).isHidden();
        page.getByLabel("Top-p").fill("");

        // an override Parley owns ({"stream": false}): at the overrides field, the text kept
        page.getByLabel("Request overrides (JSON object)").fill("{\"stream\": false}");
        send(page).click();
        assertThat(page.locator("#overrides-error")).hasText("Request overrides cannot change stream: Parley sets it itself.");
        assertThat(page.getByLabel("Request overrides (JSON object)")).isFocused();
        assertThat(input(page)).hasValue("first  line\nsecond line");
        assertThat(page.locator("#error-banner")).isHidden();
        assertThat(page.locator(".msg")).hasCount(0);
        page.context().close();
    }

    @Test
    void aFirstSendWhileOfflineKeepsTheTextAndSaysWhatHappenedInWords(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Model", new Page.GetByLabelOptions().setExact(true)).selectOption(ECHO);
        page.context().setOffline(true);
        input(page).fill("sent while offline");
        input(page).press("Enter");
        assertThat(page.locator("#error-banner")).hasText(
                "You are offline: Parley could not be reached. Your message is back in the box.");
        assertThat(page.locator("#error-banner")).not().containsText("Failed to fetch");
        assertThat(input(page)).hasValue("sent while offline");
        assertThat(send(page)).isEnabled();

        page.context().setOffline(false);
        send(page).click();
        awaitAnswerEnd(page);
        assertThat(lastAnswer(page).locator(".body")).hasText("sent while offline");
        assertThat(input(page)).hasValue("");
        page.context().close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.parley.e2e.ui.Ui#views")
    void fullScreenAndTheSidebarToggleGiveTheChatTheWholeWidth(Ui.View view, LocalPlatform platform) {
        Page page = ui.login(platform, "alice", view);
        Locator main = page.locator("#main");
        if (!view.narrow()) {
            assertTrue(width(main) < view.width() - 200, "beside the sidebar");
            page.getByLabel("Show or hide chat history").click();
            assertThat(page.locator("#sidebar")).isHidden();
            await().atMost(Duration.ofSeconds(10)).until(() -> width(main) >= view.width() - 1);
            assertThat(input(page)).isVisible();
            assertTrue(width(input(page)) > view.width() / 2.0, "the message box is wide: " + width(input(page)));
            page.getByLabel("Show or hide chat history").click();
            assertThat(page.locator("#sidebar")).isVisible();
        }
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Full screen").setExact(true)).click();
        await().atMost(Duration.ofSeconds(10)).until(() -> width(main) >= view.width() - 1);
        assertTrue(width(input(page)) > view.width() / 2.0, "the message box is wide: " + width(input(page)));
        Ui.screenshot(page, "fixes-fullscreen-" + view.width() + (view.dark() ? "-dark" : "") + ".png");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Exit full screen")).first().click();
        assertThat(page.locator("header.top")).isVisible();
        page.context().close();
    }

    @Test
    void autoScrollFollowsTheAnswerOnlyWhileTheReaderIsAtTheEnd(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Max tokens").fill("3000");
        // a long question, so the messages scroll from the start; the answer streams for about a minute
        chat(page, LLAMA, "Tell me a long story.\n" + "Make it long. ".repeat(20).concat("\n").repeat(40));
        Locator box = page.locator("#messages");
        Locator body = lastAnswer(page).locator(".body");
        await().atMost(Duration.ofSeconds(30)).until(() -> body.textContent().length() > 20);
        assertThat(page.locator("#stop")).isVisible();
        // at the end: it follows
        int grown = body.textContent().length();
        await().atMost(Duration.ofSeconds(30)).until(() -> body.textContent().length() > grown + 200);
        assertTrue(distanceFromEnd(box) < 48, "follows the answer at the end: " + distanceFromEnd(box));

        // scrolled up to read: it stays there while the answer keeps growing
        box.evaluate("b => { b.scrollTop = 0; }");
        int before = body.textContent().length();
        await().atMost(Duration.ofSeconds(30)).until(() -> body.textContent().length() > before + 400);
        assertEquals(0, ((Number) box.evaluate("b => b.scrollTop")).intValue(), "the reader is not pulled back");
        assertThat(page.locator("#stop")).isVisible();
        page.locator("#stop").click();
        awaitAnswerEnd(page);
        page.context().close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.parley.e2e.ui.Ui#views")
    void messageToolsAndADisabledSendMeetWcagAaInTheSystemsSchemeAndAfterTheToggle(Ui.View view,
            LocalPlatform platform) {
        Page page = ui.login(platform, "alice", view);
        assertEquals(view.dark(), Ui.paintsDark(page), "follows prefers-color-scheme");
        assertThat(page.locator("#theme")).hasAttribute("aria-pressed", view.dark() ? "true" : "false");
        chat(page, ECHO, "contrast please");
        awaitAnswerEnd(page);
        assertContrast(page);

        // the toggle: the other scheme, kept across a reload
        page.locator("#theme").click();
        assertEquals(!view.dark(), Ui.paintsDark(page));
        page.reload();
        assertThat(page.locator("body[data-ready='true']")).hasCount(1);
        assertEquals(!view.dark(), Ui.paintsDark(page), "the choice is kept in this browser");
        assertThat(page.locator("#theme")).hasAttribute("aria-pressed", view.dark() ? "false" : "true");
        assertThat(page.locator(".msg.user .body").first()).hasText("contrast please");
        awaitAnswerEnd(page);
        assertContrast(page);
        Ui.screenshot(page, "fixes-theme-" + view.width() + (view.dark() ? "-light" : "-dark") + ".png");
        page.context().close();
    }

    @Test
    void aReopenedChatShowsTheNewestTurnsPathThenTheBranchTheUserWasOn(LocalPlatform platform) {
        // u1 a1 u2 a2; u2 edited (u2b a2b, newer); then the first branch continued (u3 a3, the newest turn)
        Ui.chatApi(platform, "bob").delete("/v1/chat/sessions").then().statusCode(200);
        String id = Ui.chatApi(platform, "bob").body(Map.of("model", ECHO, "title", "branches")).post("/v1/chat/sessions")
                .then().statusCode(201).extract().path("id");
        turn(platform, id, "one", null);
        String a1 = last(platform, id);
        turn(platform, id, "two", a1);
        String a2 = last(platform, id);
        turn(platform, id, "two edited", a1);
        turn(platform, id, "three", a2);

        Page page = ui.login(platform, "bob");
        Ui.sessions(page).filter(new Locator.FilterOptions().setHasText("branches")).locator(".session-open").click();
        assertThat(page.locator(".msg.user .body")).hasText(new String[] { "one", "two", "three" });
        assertThat(page.locator(".msg.user").nth(1).locator(".version-label")).hasText("1/2");
        // the user goes to the other version of "two"; reopened (reload), that branch is still shown
        page.locator(".msg.user").nth(1).getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions()
                .setName("Next version")).click();
        assertThat(page.locator(".msg.user .body")).hasText(new String[] { "one", "two edited" });
        page.reload();
        assertThat(page.locator("body[data-ready='true']")).hasCount(1);
        assertThat(page.locator(".msg.user .body")).hasText(new String[] { "one", "two edited" });

        // editing the first message says beforehand that it starts a new chat, and afterwards which chat is unchanged
        page.locator(".msg.user").first().getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions()
                .setName("Edit and resend")).click();
        Locator box = page.locator(".edit-box");
        assertThat(box.locator(".edit-note")).hasText("This is the chat’s first message: saving starts a new chat with "
                + "your edit. This chat stays in the history as it is.");
        assertThat(box.getByLabel("Edit message")).hasAttribute("aria-describedby", Pattern.compile("^edit-note-"));
        box.getByLabel("Edit message").fill("one, edited");
        box.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Save & submit")).click();
        assertThat(page.locator("#notice")).hasText(
                "A new chat started from your edit of the first message; “branches” is unchanged in the history.");
        awaitAnswerEnd(page);
        assertThat(page.locator(".msg.user .body")).hasText(new String[] { "one, edited" });
        assertThat(Ui.sessions(page)).hasCount(2);
        page.context().close();
    }

    @Test
    void historyRowsAreOneTabStopWithRealButtonsBesideTheTitleASearchAndDayGroups(LocalPlatform platform) {
        Ui.chatApi(platform, "admin").delete("/v1/chat/sessions").then().statusCode(200);
        for (String title : List.of("alpha notes", "beta plan", "gamma test")) {
            Ui.chatApi(platform, "admin").body(Map.of("model", ECHO, "title", title)).post("/v1/chat/sessions")
                    .then().statusCode(201);
        }
        Page page = ui.login(platform, "admin");
        assertThat(page.locator("#sessions .session-group")).hasText(new String[] { "Today" });
        Locator row = Ui.sessions(page).filter(new Locator.FilterOptions().setHasText("beta plan"));
        // Rename and Delete are beside the title, not over it: a click in the middle of the title opens the chat
        BoundingBox title = row.locator(".session-open").boundingBox();
        BoundingBox rename = row.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Rename beta plan"))
                .boundingBox();
        assertTrue(rename.x >= title.x + title.width - 1, "Rename starts where the title ends");
        assertThat(row.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Delete beta plan"))).isVisible();
        page.mouse().click(title.x + title.width / 2, title.y + title.height / 2);
        assertThat(page.locator("#lock-banner")).isHidden();
        assertThat(page).hasURL(Pattern.compile("#chat="));
        assertThat(page.getByLabel("New title")).hasCount(0);

        // one Tab stop per row: Tab goes from the search box through the three rows to Clear All
        page.getByLabel("Search chats").focus();
        for (String t : List.of("gamma test", "beta plan", "alpha notes")) {
            page.keyboard().press("Tab");
            assertThat(Ui.sessions(page).filter(new Locator.FilterOptions().setHasText(t)).locator(".session-open"))
                    .isFocused();
        }
        page.keyboard().press("Tab");
        assertThat(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Clear All"))).isFocused();
        // the row's buttons by arrow keys and shortcuts
        page.keyboard().press("Shift+Tab");
        page.keyboard().press("ArrowUp");
        assertThat(row.locator(".session-open")).isFocused();
        page.keyboard().press("ArrowRight");
        assertThat(row.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Rename beta plan"))).isFocused();
        page.keyboard().press("Enter");
        page.getByLabel("New title").fill("beta plan v2");
        page.getByLabel("New title").press("Enter");
        assertThat(Ui.sessions(page).first().locator(".session-title")).hasText("beta plan v2");

        // the search filters by title (and model), and says when nothing matches
        page.getByLabel("Search chats").fill("ALPHA");
        assertThat(Ui.sessions(page).locator(".session-title")).hasText(new String[] { "alpha notes" });
        page.getByLabel("Search chats").fill("nothing like this");
        assertThat(Ui.sessions(page)).hasCount(0);
        assertThat(page.locator("#sessions-none-found")).isVisible();
        page.getByLabel("Search chats").fill("");
        assertThat(Ui.sessions(page)).hasCount(3);
        page.context().close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.parley.e2e.ui.Ui#views")
    void atAPhonesWidthUsageIsReachableTheSidebarClosesAfterAPickAndTheHeaderIsCompact(Ui.View view,
            LocalPlatform platform) {
        String title = "phone chat " + view;
        Ui.chatApi(platform, "alice").body(Map.of("model", ECHO, "title", title)).post("/v1/chat/sessions")
                .then().statusCode(201);
        Page page = ui.login(platform, "alice", view);
        Locator usage = page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Usage"));
        assertThat(usage).isVisible();
        assertThat(usage).isInViewport();
        for (String control : List.of("#toggle-sidebar", "#theme", "#fullscreen", ".logout")) {
            assertThat(page.locator(control)).isInViewport();
        }
        // the header and the settings take at most a quarter of the height
        double top = page.locator("header.top").boundingBox().height + page.locator(".controls").boundingBox().height;
        assertTrue(top <= view.height() * 0.3, "header and settings take " + top + " px of " + view.height());
        if (view.narrow()) {
            page.getByLabel("Show or hide chat history").click();
            assertThat(page.locator("#sidebar")).isVisible();
            Ui.sessions(page).filter(new Locator.FilterOptions().setHasText(title)).locator(".session-open").click();
            assertThat(page.locator("#sidebar")).isHidden();
            assertThat(page.getByLabel("Show or hide chat history")).hasAttribute("aria-expanded", "false");
            assertThat(page).hasURL(Pattern.compile("#chat="));
        }
        Ui.screenshot(page, "fixes-phone-" + view.width() + (view.dark() ? "-dark" : "") + ".png");
        usage.click();
        assertThat(page).hasURL(Pattern.compile("/usage(\\.html)?$"));
        page.context().close();
    }

    @Test
    void aCarriedOverAnswerIsLabelledWithTheModelThatWroteIt(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        chat(page, ECHO, "written by echo");
        awaitAnswerEnd(page);
        assertThat(lastAnswer(page).locator(".who")).hasText(ECHO);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("New chat with another model")).click();
        Locator dialog = page.locator("#switch-dialog");
        dialog.getByLabel("Continue with").selectOption(LLAMA);
        dialog.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Carry the conversation over")).click();
        assertThat(page.locator("#lock-model")).hasText(LLAMA);
        assertThat(lastAnswer(page).locator(".who")).hasText(ECHO);
        page.getByLabel("Max tokens").fill("5");
        input(page).fill("and now llama");
        input(page).press("Enter");
        awaitAnswerEnd(page);
        assertThat(page.locator(".msg.assistant .who")).hasText(new String[] { ECHO, LLAMA });
        page.context().close();
    }

    @Test
    void answersShowTablesWithBordersCodeWithItsLanguageAndPicturesAsThumbnails(LocalPlatform platform)
            throws java.io.IOException {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Model", new Page.GetByLabelOptions().setExact(true)).selectOption(ECHO);
        page.locator("#file").setInputFiles(new com.microsoft.playwright.options.FilePayload("dot.png", "image/png",
                PlaygroundAdvancedIT.png()));
        // the echo model answers with the question: markdown with a table and a fenced code block
        chat(page, ECHO, "| name | speed |\n|---|---|\n| echo | fast |\n\n```python\nprint('hi')\n```");
        awaitAnswerEnd(page);
        Locator cell = lastAnswer(page).locator("td").first();
        assertThat(cell).hasText("echo");
        assertEquals("1px solid", ((String) cell.evaluate("c => getComputedStyle(c).borderTopWidth + ' '"
                + " + getComputedStyle(c).borderTopStyle")).trim());
        assertThat(lastAnswer(page).locator("pre .code-lang")).hasText("python");
        // the picture of the question: a thumbnail of the stored bytes, loaded (same origin)
        Locator thumb = page.locator(".msg.user").last().locator("img.thumb");
        assertThat(thumb).hasCount(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> ((Number) thumb.evaluate("i => i.complete ? i.naturalWidth : 0"))
                .intValue() == 8);
        page.context().close();
    }

    @Test
    void liveFiguresStayAfterAReloadTheGaugeMovesWhileStreamingAndAStoppedAnswerKeepsItsTokens(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Max tokens").fill("3000");
        chat(page, LLAMA, "Tell me a very long story");
        Locator body = lastAnswer(page).locator(".body");
        await().atMost(Duration.ofSeconds(30)).until(() -> body.textContent().length() > 20);
        // the context gauge counts the answer as it streams
        String gauge = page.locator("#context-gauge").textContent();
        assertThat(page.locator("#context-gauge")).containsText("(estimate)");
        await().atMost(Duration.ofSeconds(30)).until(() -> !page.locator("#context-gauge").textContent().equals(gauge));

        // reloaded mid-answer: the page follows the turn and its live figures are not blank
        page.reload();
        assertThat(page.locator("body[data-ready='true']")).hasCount(1);
        assertThat(page.locator("#metrics")).containsText("Live");
        assertThat(page.locator("#metrics")).containsText("tokens so far");
        assertThat(page.locator("#stop")).isVisible();

        // stopped: the answer keeps its tokens and speed (counted by the server, no usage chunk came)
        page.locator("#stop").click();
        assertThat(lastAnswer(page).locator(".status-line")).containsText("Stopped");
        assertThat(page.locator("#metrics")).hasText(Pattern.compile("\\d+(\\.\\d+)? tok/s · [\\d,]+ tokens"));
        lastAnswer(page).getByText("Details").click();
        assertThat(lastAnswer(page).locator(".msg-details")).containsText(Pattern.compile("completion [\\d,]+ tokens"));
        page.context().close();
    }

    private static void turn(LocalPlatform platform, String session, String text, String parent) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("content", text));
        if (parent != null) {
            body.put("parent_id", parent);
        }
        // the whole stream, to its end: RestAssured answers as soon as the headers came, and a turn posted while
        // this one still streams is refused 409 turn_in_progress (the server commits the end before message_end)
        String stream = Ui.chatApi(platform, "bob").accept("text/event-stream").body(body)
                .post("/v1/chat/sessions/" + session + "/turns").then().statusCode(200).extract().asString();
        assertTrue(Pattern.compile("(?m)^event: ?message_end$").matcher(stream).find(), "the turn ended: " + stream);
    }

    /** The id of the newest message of a chat. */
    private static String last(LocalPlatform platform, String session) {
        List<String> ids = Ui.chatApi(platform, "bob").get("/v1/chat/sessions/" + session).then().statusCode(200)
                .extract().path("messages.id");
        return ids.get(ids.size() - 1);
    }

    /** The message tools and, while a turn is held in flight, the disabled Send: at least 4.5:1. */
    private static void assertContrast(Page page) {
        Map<String, Locator> tools = Map.of("Copy", lastAnswer(page).getByRole(AriaRole.BUTTON,
                new Locator.GetByRoleOptions().setName("Copy message")), "Regenerate",
                lastAnswer(page).getByRole(
                        AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Regenerate this answer")));
        tools.forEach((name, tool) -> {
            double ratio = Ui.contrast(tool);
            assertTrue(ratio >= 4.5, name + " at " + ratio + ":1");
        });
        // a turn the server never answers keeps the page busy: Send is disabled as long as the test looks
        page.route("**/turns", route -> {
        });
        input(page).fill("held");
        input(page).press("Enter");
        assertThat(send(page)).isDisabled();
        double ratio = Ui.contrast(send(page));
        assertTrue(ratio >= 4.5, "disabled Send at " + ratio + ":1");
        double stop = Ui.contrast(page.locator("#stop"));
        assertTrue(stop >= 4.5, "Stop at " + stop + ":1");
        page.unroute("**/turns");
    }

    private static double width(Locator l) {
        BoundingBox box = l.boundingBox();
        return box == null ? 0 : box.width;
    }

    private static double distanceFromEnd(Locator box) {
        return ((Number) box.evaluate("b => b.scrollHeight - b.scrollTop - b.clientHeight")).doubleValue();
    }
}
