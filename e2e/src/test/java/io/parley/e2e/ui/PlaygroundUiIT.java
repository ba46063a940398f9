package io.parley.e2e.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.parley.e2e.ui.Ui.ECHO;
import static io.parley.e2e.ui.Ui.LLAMA;
import static io.parley.e2e.ui.Ui.awaitAnswerEnd;
import static io.parley.e2e.ui.Ui.chat;
import static io.parley.e2e.ui.Ui.input;
import static io.parley.e2e.ui.Ui.lastAnswer;
import static io.parley.e2e.ui.Ui.send;
import static io.parley.e2e.ui.Ui.sessions;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.microsoft.playwright.JSHandle;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.FilePayload;

import io.parley.e2e.platform.LocalPlatform;

/**
 * The playground (issue 6) in Debian's Chromium against the running platform: real Keycloak login, the real registry
 * and simulator, chat-service's SSE turns. Screenshots of the main states go to {@code docs/images/}.
 */
class PlaygroundUiIT extends BrowserIT {

    @Test
    void loginThroughKeycloakShowsTheUserRunningModelsGroupedByDeploymentAndAUsageLink(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        Locator model = page.getByLabel("Model");
        assertThat(model.locator("optgroup[label='local-simulator'] option[value='" + LLAMA + "']")).hasCount(1);
        assertThat(model.locator("optgroup[label='local-simulator'] option[value='" + ECHO + "']")).hasCount(1);
        // the selector follows the registry's change stream, relayed by chat-service: a snapshot first, then deltas
        Object streamed = page.evaluate("() => new Promise((resolve, reject) => {"
                + " const es = new EventSource('/ui/models/changes');"
                + " es.addEventListener('snapshot', ev => { es.close(); resolve(JSON.parse(ev.data).models.map(m => m.name + ':' + m.state).sort().join(',')); });"
                + " setTimeout(() => { es.close(); reject(new Error('no snapshot event')); }, 20000); })");
        assertTrue(((String) streamed).contains(ECHO + ":Ready"), (String) streamed);
        assertTrue(((String) streamed).contains(LLAMA + ":Ready"), (String) streamed);
        assertThat(page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Usage")))
                .hasAttribute("href", "/usage");
        assertThat(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("+ New Chat"))).isVisible();
        assertThat(page.getByLabel("Temperature")).hasValue("0.7");
        assertThat(page.getByLabel("Max tokens")).isVisible();
        // advanced parameters are collapsed until asked for
        assertThat(page.getByLabel("Top-p")).isHidden();
        page.locator("#advanced summary").click();
        assertThat(page.getByLabel("Top-p")).isVisible();
        assertThat(page.getByLabel("Endpoint mode").locator("option")).hasText(new String[] { "Chat Completions",
                "Responses", "Anthropic Messages" });
        page.locator("#advanced summary").click();
        Ui.screenshot(page, "playground-new-chat.png");
        page.context().close();
    }

    @Test
    void answerStreamsInWithLiveMetricsThenServerMetricsContextGaugeAndLockBanner(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Max tokens").fill("150");
        chat(page, LLAMA, "Tell me a long story about streams");
        assertThat(page.locator(".msg.user").last()).containsText("Tell me a long story about streams");

        // the text grows while the tokens arrive, with a typing indicator before and live metrics during
        Locator body = lastAnswer(page).locator(".body");
        String first = await().atMost(Duration.ofSeconds(30)).until(body::textContent, t -> !t.isBlank());
        assertThat(page.locator("#metrics")).containsText("Live");
        assertThat(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Stop").setExact(true))).isVisible();
        await().atMost(Duration.ofSeconds(30)).until(() -> body.textContent().length() > first.length());
        Ui.screenshot(page, "playground-streaming.png");

        awaitAnswerEnd(page);
        assertThat(page.locator("#metrics")).hasText(Pattern.compile(
                "^TTFT \\d+ ms · \\d+(\\.\\d+)? tok/s · 150 tokens · latency \\d+ ms$"));
        // per-message metrics on expand
        lastAnswer(page).getByText("Details").click();
        assertThat(lastAnswer(page).locator(".msg-details")).containsText("time to first token");
        assertThat(lastAnswer(page).locator(".msg-details")).containsText("completion 150 tokens");
        // context gauge from the server's prompt tokens against max_model_len
        assertThat(page.locator("#context-gauge")).hasText(Pattern.compile("^Context: [\\d,]+ / 8,192 tokens$"));
        input(page).fill("x".repeat(40_000));
        assertThat(page.locator("#context-gauge")).containsText("(estimate)");
        assertThat(page.locator("#context-gauge")).containsText("close to the limit");
        input(page).fill("");

        // the model is locked after the first message
        assertThat(page.locator("#lock-banner")).isVisible();
        assertThat(page.locator("#lock-banner")).containsText(LLAMA + " is locked for this chat");
        assertThat(page.getByLabel("Model")).isDisabled();
        Ui.screenshot(page, "playground-answer.png");
        // a new chat with another model: carry the conversation over (PlaygroundAdvancedIT) or start empty
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("New chat with another model")).click();
        Locator dialog = page.locator("#switch-dialog");
        assertThat(dialog.getByLabel("Continue with")).isFocused();
        dialog.getByLabel("Continue with").selectOption(ECHO);
        dialog.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Start empty")).click();
        assertThat(dialog).isHidden();
        assertThat(page.locator("#lock-banner")).isHidden();
        assertThat(page.getByLabel("Model")).isEnabled();
        assertThat(page.getByLabel("Model")).hasValue(ECHO);
        assertThat(page.locator(".msg")).hasCount(0);
        page.context().close();
    }

    @Test
    void shiftEnterStartsANewLineAndEnterSends(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Model").selectOption(ECHO);
        input(page).fill("line one");
        input(page).press("Shift+Enter");
        input(page).pressSequentially("line two");
        assertEquals("line one\nline two", input(page).inputValue());
        assertThat(page.locator(".msg")).hasCount(0);
        input(page).press("Enter");
        assertThat(page.locator(".msg.user .body")).hasText("line one\nline two");
        awaitAnswerEnd(page);
        page.context().close();
    }

    @Test
    void stopMidAnswerKeepsThePartialTextAfterReload(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Max tokens").fill("3000");
        chat(page, LLAMA, "Please do not stop talking");
        Locator body = lastAnswer(page).locator(".body");
        await().atMost(Duration.ofSeconds(30)).until(() -> body.textContent().length() > 20);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Stop").setExact(true)).click();

        assertThat(lastAnswer(page).locator(".status-line")).hasText("Stopped — the partial answer is kept.");
        String partial = body.textContent();
        assertTrue(partial.length() > 20, partial);
        Ui.screenshot(page, "playground-stopped.png");

        page.reload();
        assertThat(lastAnswer(page).locator(".status-line")).hasText("Stopped — the partial answer is kept.");
        assertThat(lastAnswer(page).locator(".body")).hasText(partial.strip());
        page.context().close();
    }

    @Test
    void reloadDuringAnAnswerResumesTheTurnToItsEnd(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Max tokens").fill("250");
        chat(page, LLAMA, "A turn that survives a reload");
        Locator body = lastAnswer(page).locator(".body");
        await().atMost(Duration.ofSeconds(30)).until(() -> body.textContent().length() > 10);
        String before = body.textContent();

        page.reload();
        // the page reopens the chat from its URL, with the parameters it was sent with, and follows the running turn
        assertThat(page.getByLabel("Max tokens")).hasValue("250");
        assertThat(page.locator(".msg.user")).containsText("A turn that survives a reload");
        awaitAnswerEnd(page);
        String after = lastAnswer(page).locator(".body").textContent();
        assertTrue(after.length() > before.length(), "resumed answer should be longer than before the reload");
        assertTrue(after.startsWith(before.strip().substring(0, 10)), after);
        assertThat(page.locator("#metrics")).containsText("250 tokens");
        page.context().close();
    }

    @Test
    void regenerateKeepsTheFirstAnswerAndShowsVersionTwoOfTwo(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Max tokens").fill("20");
        chat(page, LLAMA, "Regenerate me");
        awaitAnswerEnd(page);
        String firstAnswer = lastAnswer(page).locator(".body").textContent();

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Regenerate this answer")).click();
        awaitAnswerEnd(page);
        assertThat(lastAnswer(page).locator(".version-label")).hasText("2/2");
        Ui.screenshot(page, "playground-versions.png");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Previous version")).click();
        assertThat(lastAnswer(page).locator(".version-label")).hasText("1/2");
        assertThat(lastAnswer(page).locator(".body")).hasText(firstAnswer.strip());
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Next version")).click();
        assertThat(lastAnswer(page).locator(".version-label")).hasText("2/2");
        page.context().close();
    }

    @Test
    void editAndResendBranchesFromTheEditedMessage(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        chat(page, ECHO, "first question");
        awaitAnswerEnd(page);
        chat(page, ECHO, "second question");
        awaitAnswerEnd(page);
        assertThat(lastAnswer(page).locator(".body")).hasText("second question");

        page.locator(".msg.user").last().getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions()
                .setName("Edit and resend")).click();
        page.getByLabel("Edit message").fill("second question, edited");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Save & submit")).click();
        awaitAnswerEnd(page);
        assertThat(lastAnswer(page).locator(".body")).hasText("second question, edited");
        assertThat(page.locator(".msg.user").last().locator(".version-label")).hasText("2/2");
        assertThat(page.locator(".msg.user")).hasCount(2);
        page.context().close();
    }

    @Test
    void markdownIsRenderedSanitizedWithHighlightedCodeBlocksAndCopyButtons(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        chat(page, ECHO, "Some **bold** text <img src=x onerror=\"window.pwned=1\">\n\n```python\nprint('hi')\n```");
        awaitAnswerEnd(page);
        Locator answer = lastAnswer(page);
        assertThat(answer.locator("strong")).hasText("bold");
        assertThat(answer.locator("pre code.hljs")).containsText("print('hi')");
        assertThat(answer.locator("[onerror]")).hasCount(0);
        assertFalse((Boolean) page.evaluate("() => window.pwned === 1"));
        Locator copy = answer.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Copy code block"));
        copy.click();
        assertThat(copy).hasText("Copied");
        assertEquals("print('hi')", ((String) page.evaluate("() => navigator.clipboard.readText()")).strip());
        page.context().close();
    }

    @Test
    void viewCodeDialogShowsPythonCurlAndJavaScriptForThisChat(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        Locator model = page.getByLabel("Model");
        assertThat(model.locator("option[value='" + LLAMA + "']")).hasCount(1);
        model.selectOption(LLAMA);
        Locator maxTokens = page.getByLabel("Max tokens");
        maxTokens.fill("10");
        assertThat(maxTokens).hasValue("10");
        chat(page, LLAMA, "Show me the code");
        assertThat(maxTokens).hasValue("10");
        awaitAnswerEnd(page);

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("View Code")).click();
        Locator dialog = page.locator("#code-dialog");
        assertThat(dialog).isVisible();
        Locator code = dialog.locator("#code");
        assertThat(code).containsText("from openai import OpenAI");
        assertThat(code).containsText("model=\"" + LLAMA + "\"");
        assertThat(code).containsText("max_tokens=10");
        assertThat(code).containsText("PARLEY_API_KEY");
        Ui.screenshot(page, "playground-view-code.png");
        dialog.getByRole(AriaRole.TAB, new Locator.GetByRoleOptions().setName("cURL")).click();
        assertThat(code).containsText("curl -N");
        assertThat(code).containsText("Show me the code");
        dialog.getByRole(AriaRole.TAB, new Locator.GetByRoleOptions().setName("JavaScript")).click();
        assertThat(code).containsText("import OpenAI from \"openai\"");
        dialog.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Copy")).click();
        assertTrue(((String) page.evaluate("() => navigator.clipboard.readText()")).contains("import OpenAI"));
        dialog.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Close")).click();
        assertThat(dialog).isHidden();
        page.context().close();
    }

    @Test
    void renameDeleteAndClearAllWorkAndAskForConfirmation(LocalPlatform platform) {
        Ui.chatApi(platform, "admin").delete("/v1/chat/sessions").then().statusCode(200);
        for (String title : List.of("chat one", "chat two", "chat three")) {
            Ui.chatApi(platform, "admin").body(Map.of("model", ECHO, "title", title)).post("/v1/chat/sessions")
                    .then().statusCode(201);
        }
        Page page = ui.login(platform, "admin");
        // newest first, with title, model and time
        assertThat(sessions(page).locator(".session-title")).hasText(new String[] { "chat three", "chat two",
                "chat one" });
        assertThat(sessions(page).first().locator(".session-meta")).containsText(ECHO + " · just now");

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Rename chat two")).click();
        page.getByLabel("New title").fill("renamed chat");
        page.getByLabel("New title").press("Enter");
        // a renamed chat counts as changed: it moves to the top
        assertThat(sessions(page).locator(".session-title")).hasText(new String[] { "renamed chat", "chat three",
                "chat one" });

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Delete chat one")).click();
        Locator confirm = page.locator("#confirm-dialog");
        assertThat(confirm).containsText("Delete the chat “chat one”?");
        confirm.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Cancel")).click();
        assertThat(sessions(page)).hasCount(3);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Delete chat one")).click();
        confirm.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Delete")).click();
        assertThat(sessions(page)).hasCount(2);

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Clear All")).click();
        assertThat(confirm).containsText("Delete all your chats? This cannot be undone.");
        Ui.screenshot(page, "playground-clear-all-confirmation.png");
        confirm.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Cancel")).click();
        assertThat(sessions(page)).hasCount(2);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Clear All")).click();
        confirm.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Delete all")).click();
        assertThat(sessions(page)).hasCount(0);
        assertThat(page.getByText("No chats yet.")).isVisible();
        page.reload();
        assertThat(page.getByText("No chats yet.")).isVisible();
        page.context().close();
    }

    @Test
    void attachmentsByPickerDropAndPasteShowAsChipsTheCapIsEnforcedAndTheyAreSentWithTheMessage(LocalPlatform platform)
            throws IOException {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Model").selectOption(ECHO);
        // picker
        page.locator("#file").setInputFiles(new FilePayload("notes.txt", "text/plain",
                "hello world".getBytes(StandardCharsets.UTF_8)));
        Locator chips = page.locator("#chips .chip");
        assertThat(chips).hasCount(1);
        assertThat(chips.first()).containsText("plain");
        assertThat(chips.first()).containsText("notes.txt");
        assertThat(chips.first()).containsText("11 B");
        // drag and drop
        JSHandle drop = page.evaluateHandle("() => { const dt = new DataTransfer(); "
                + "dt.items.add(new File(['{}'], 'data.json', { type: 'application/json' })); return dt; }");
        page.dispatchEvent("#composer", "drop", Map.of("dataTransfer", drop));
        assertThat(chips).hasCount(2);
        assertThat(chips.nth(1)).containsText("data.json");
        // paste
        page.evaluate("() => { const dt = new DataTransfer(); "
                + "dt.items.add(new File(['png'], 'shot.png', { type: 'image/png' })); "
                + "document.getElementById('input').dispatchEvent(new ClipboardEvent('paste', "
                + "{ clipboardData: dt, bubbles: true, cancelable: true })); }");
        assertThat(chips).hasCount(3);
        assertThat(chips.nth(2)).containsText("shot.png");
        chips.nth(2).getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Remove shot.png")).click();
        assertThat(chips).hasCount(2);

        // over the 100 MB cap: refused with a clear message, not added
        Path big = Files.createTempFile("parley-big", ".bin");
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(100L * 1024 * 1024 + 1);
        }
        try {
            page.locator("#file").setInputFiles(big);
            assertThat(page.locator("#attach-error")).containsText("attachments are limited to 100 MB per message");
            assertThat(chips).hasCount(2);
            Ui.screenshot(page, "playground-attachments.png");
        } finally {
            Files.deleteIfExists(big);
        }

        // sent with the message and shown on it; the composer is empty again
        input(page).fill("What is in these files?");
        send(page).click();
        awaitAnswerEnd(page);
        assertThat(chips).hasCount(0);
        assertThat(page.locator("#attach-error")).isHidden();
        assertThat(page.locator(".msg.user .msg-attachments .chip-name")).hasText(new String[] { "notes.txt",
                "data.json" });
        page.context().close();
    }

    @Test
    void aSecondUserSeesNoneOfTheFirstUsersChats(LocalPlatform platform) {
        String aliceChat = Ui.chatApi(platform, "alice")
                .body(Map.of("model", ECHO, "title", "alice's private chat")).post("/v1/chat/sessions")
                .then().statusCode(201).extract().path("id");
        Page alice = ui.login(platform, "alice");
        assertThat(alice.locator("#sessions .session-title", new Page.LocatorOptions()
                .setHasText("alice's private chat")).first()).isVisible();
        alice.context().close();

        Page bob = ui.login(platform, "bob");
        assertThat(bob.locator("header")).containsText("bob");
        assertThat(bob.locator("#sessions")).not().containsText("alice's private chat");
        // even with her chat's address, bob's page opens nothing of hers
        bob.navigate(platform.chatUrl() + "/#chat=" + aliceChat);
        bob.reload();
        assertThat(bob.locator("#messages")).containsText("What shall we try?");
        assertThat(bob.locator("#lock-banner")).isHidden();
        assertEquals(404, bob.request().get(platform.chatUrl() + "/v1/chat/sessions/" + aliceChat).status());
        bob.context().close();
    }

    @Test
    void narrowWindowHidesTheHistoryBehindAToggleAndFullScreenHidesTheChrome(LocalPlatform platform) {
        Page page = ui.login(platform, "alice", 420, 860);
        assertThat(page.locator("#sidebar")).isHidden();
        assertThat(send(page)).isVisible();
        page.getByLabel("Show or hide chat history").click();
        assertThat(page.locator("#sidebar")).isVisible();
        Ui.screenshot(page, "playground-narrow.png");
        page.getByLabel("Show or hide chat history").click();
        assertThat(page.locator("#sidebar")).isHidden();
        page.context().close();

        Page wide = ui.login(platform, "alice");
        wide.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Full screen")).click();
        assertThat(wide.locator("header")).isHidden();
        assertThat(wide.locator("#sidebar")).isHidden();
        assertThat(send(wide)).isVisible();
        wide.locator("#exit-fullscreen").click();
        assertThat(wide.locator("header")).isVisible();
        wide.context().close();
    }

    @Test
    void everyControlIsLabelledAndReachableByKeyboard(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        // no form control without an accessible name
        Object unlabelled = page.evaluate("() => [...document.querySelectorAll('input:not([type=hidden]):not([hidden]),"
                + " select, textarea, button')].filter(e => !(e.labels && e.labels.length) && !e.getAttribute("
                + "'aria-label') && !e.textContent.trim()).map(e => e.id || e.outerHTML)");
        assertEquals(List.of(), unlabelled);
        // Tab from the message box reaches the send controls; focus starts in the message box
        assertThat(input(page)).isFocused();
        page.getByLabel("Model").selectOption(ECHO);
        input(page).focus();
        input(page).fill("typed and sent with the keyboard");
        page.keyboard().press("Enter");
        assertThat(page.locator(".msg.user .body")).hasText("typed and sent with the keyboard");
        awaitAnswerEnd(page);
        page.context().close();
    }
}
