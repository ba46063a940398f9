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
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

import com.microsoft.playwright.Download;
import com.microsoft.playwright.FileChooser;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Request;
import com.microsoft.playwright.Route;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.FilePayload;

import io.parley.e2e.Clients;
import io.parley.e2e.platform.LocalPlatform;
import io.restassured.path.json.JsonPath;

/**
 * The playground's turn envelope, attachments, export menu and fork (issue 6) in Debian's Chromium against the
 * running platform: what the page sends reaches chat-service, the proxy and usage-service, is stored with the message
 * and shown again after a reload, and belongs to its user only.
 */
class PlaygroundAdvancedIT extends BrowserIT {

    @Test
    void responsesModeWithMetadataCorrelationIdAndOverridesStreamsAndIsShownInTheMessageDetails(
            LocalPlatform platform) {
        String correlationId = "ui-run-" + UUID.randomUUID().toString().substring(0, 8);
        Page page = ui.login(platform, "alice");
        page.getByLabel("Model").selectOption(LLAMA);
        page.locator("#advanced summary").click();
        page.getByLabel("Endpoint mode").selectOption("Responses");
        page.getByLabel("Correlation id").fill(correlationId);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("+ Add key/value")).click();
        page.getByLabel("Metadata key").fill("team");
        page.getByLabel("Metadata value").fill("search");
        page.getByLabel("Request overrides (JSON object)").fill("{\"max_tokens\": 4}");
        assertThat(page.locator("#advanced-summary")).hasText("· Responses, correlation id, 1 metadata, overrides");
        assertThat(page.locator("#advanced-note")).not().containsText("kept in this page only");
        input(page).fill("Answer through the Responses API");
        Ui.screenshot(page, "playground-advanced-envelope.png");
        input(page).press("Enter");

        assertThat(page.locator(".msg.user .body")).hasText("Answer through the Responses API");
        awaitAnswerEnd(page);
        assertTrue(!lastAnswer(page).locator(".body").textContent().isBlank(), "the answer has text");
        // the override reached the serving pod: four tokens, whatever max tokens says
        lastAnswer(page).getByText("Details").click();
        Locator details = lastAnswer(page).locator(".msg-details");
        assertThat(details).containsText("completion 4 tokens");
        assertEnvelopeShown(details, correlationId);
        page.locator("#advanced summary").click();
        Ui.screenshot(page, "playground-envelope-details.png");

        // stored with the user message: shown again after a reload, and the fields continue with it
        page.reload();
        assertThat(page.locator(".msg.user .body")).hasText("Answer through the Responses API");
        Locator userMessage = page.locator(".msg.user").last();
        userMessage.getByText("Details").click();
        assertEnvelopeShown(userMessage.locator(".msg-details"), correlationId);
        assertThat(page.getByLabel("Endpoint mode")).hasValue("responses");
        assertThat(page.getByLabel("Correlation id")).hasValue(correlationId);

        // the call itself, as usage-service recorded it: the Responses endpoint, the correlation id, the metadata
        String admin = Clients.token(platform, "admin");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<Map<String, Object>> records = Clients.usage(platform, admin)
                    .queryParam("user", "alice").queryParam("correlation_id", correlationId)
                    .get("/admin/usage").then().statusCode(200).extract().jsonPath().getList("data");
            assertEquals(1, records.size(), records.toString());
            assertEquals("responses", records.get(0).get("endpoint_kind"));
            assertEquals(4, ((Number) records.get(0).get("completion_tokens")).intValue());
            @SuppressWarnings("unchecked")
            Map<String, Object> metadata = (Map<String, Object>) records.get(0).get("metadata");
            assertEquals("search", metadata.get("team"), metadata.toString());
            assertEquals("playground", metadata.get("source"), metadata.toString());
        });
        page.context().close();
    }

    private static void assertEnvelopeShown(Locator details, String correlationId) {
        assertThat(details.locator("dt")).hasText(new String[] { "Endpoint mode", "Correlation id", "Metadata",
                "Overrides" });
        assertThat(details.locator("dd")).hasText(new String[] { "Responses", correlationId, "team=search",
                "{\"max_tokens\":4}" });
    }

    @Test
    void envelopeProblemsAreShownNextToTheirFieldsFromThePageAndFromTheServer(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Model").selectOption(ECHO);
        page.locator("#advanced summary").click();
        // checked in the page before anything is sent
        page.getByLabel("Request overrides (JSON object)").fill("{\"model\": \"other\"}");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("+ Add key/value")).click();
        page.getByLabel("Metadata key").fill("source");
        input(page).fill("not sent");
        input(page).press("Enter");
        assertThat(page.locator("#overrides-error")).hasText("Request overrides cannot change model: Parley sets it itself.");
        assertThat(page.getByLabel("Request overrides (JSON object)")).hasAttribute("aria-invalid", "");
        assertThat(page.locator("#metadata-error")).containsText("“source” is reserved");
        assertThat(page.locator(".msg")).hasCount(0);
        page.getByLabel("Request overrides (JSON object)").fill("{\"stop\": [\"###\"]}");
        assertThat(page.locator("#overrides-error")).isHidden();
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Remove metadata row")).click();

        // the server's own check: a correlation id the page would not send, put into the request on its way out
        page.getByLabel("Correlation id").fill("fine-id");
        page.route("**/turns", route -> route.resume(new Route.ResumeOptions().setPostData(
                route.request().postData().replace("\"correlation_id\":\"fine-id\"", "\"correlation_id\":\"not fine!\""))));
        input(page).fill("refused by the server");
        input(page).press("Enter");
        assertThat(page.locator("#correlation-id-error")).not().isEmpty();
        assertThat(page.locator("#error-banner")).containsText("check the advanced settings");
        assertThat(input(page)).hasValue("refused by the server");
        assertThat(page.locator(".msg")).hasCount(0);
        page.unroute("**/turns");

        // fixed: sent, and the field's error goes away
        send(page).click();
        awaitAnswerEnd(page);
        assertThat(page.locator("#correlation-id-error")).isHidden();
        assertThat(lastAnswer(page).locator(".body")).hasText("refused by the server");
        page.context().close();
    }

    @Test
    void aPngFromThePickerIsSentStoredShownAfterReloadAndDownloadsTheSameBytesOnlyForItsOwner(
            LocalPlatform platform) throws IOException {
        byte[] png = png();
        Page page = ui.login(platform, "alice");
        page.getByLabel("Model").selectOption(ECHO);
        FileChooser picker = page.waitForFileChooser(() -> page.getByRole(AriaRole.BUTTON,
                new Page.GetByRoleOptions().setName("Attach files")).click());
        picker.setFiles(new FilePayload("dot.png", "image/png", png));
        Locator chip = page.locator("#chips .chip");
        assertThat(chip).hasCount(1);
        assertThat(chip).containsText("png");
        assertThat(chip).containsText("dot.png");
        assertThat(chip).containsText(png.length + " B");

        // more than 100 MB is refused before it is read, with a clear message; the PNG stays
        page.evaluate("() => { const dt = new DataTransfer();"
                + " dt.items.add(new File([new ArrayBuffer(100 * 1024 * 1024 + 1)], 'huge.bin'));"
                + " const input = document.getElementById('file'); input.files = dt.files;"
                + " input.dispatchEvent(new Event('change', { bubbles: true })); }");
        assertThat(page.locator("#attach-error")).hasText("“huge.bin” (100.0 MB) was not added: attachments are limited "
                + "to 100 MB per message.");
        assertThat(chip).hasCount(1);

        input(page).fill("What is in this picture?");
        send(page).click();
        awaitAnswerEnd(page);
        assertThat(page.locator("#chips .chip")).hasCount(0);
        assertThat(page.locator("#attach-error")).isHidden();
        assertThat(lastAnswer(page).locator(".body")).hasText("What is in this picture?");

        // stored with the message: after a reload the history shows it as a chip that downloads the same bytes
        page.reload();
        Locator stored = page.locator(".msg.user .msg-attachments a.chip");
        assertThat(stored).hasCount(1);
        assertThat(stored).containsText("dot.png");
        assertThat(stored).containsText(png.length + " B");
        assertThat(stored).hasAttribute("aria-label", "Download dot.png, image/png, " + png.length + " B");
        Ui.screenshot(page, "playground-attachment-history.png");
        Download download = page.waitForDownload(stored::click);
        assertEquals("dot.png", download.suggestedFilename());
        assertArrayEquals(png, Files.readAllBytes(download.path()));
        String url = stored.getAttribute("href");
        assertTrue(url.matches("/v1/chat/sessions/[0-9a-f-]{36}/attachments/[0-9a-f-]{36}"), url);
        page.context().close();

        // bob: not in his history, and the attachment's address answers 404
        Page bob = ui.login(platform, "bob");
        assertThat(bob.locator("#sessions")).not().containsText("What is in this picture?");
        assertEquals(404, bob.request().get(platform.chatUrl() + url).status());
        bob.context().close();
    }

    @Test
    void editingAMessageKeepsItsPngUnlessTheChipIsRemovedInTheEditBox(LocalPlatform platform) throws IOException {
        byte[] png = png();
        Page page = ui.login(platform, "alice");
        chat(page, ECHO, "a question first");
        awaitAnswerEnd(page);
        page.locator("#file").setInputFiles(new FilePayload("dot.png", "image/png", png));
        input(page).fill("what is this?");
        send(page).click();
        awaitAnswerEnd(page);
        String original = page.locator(".msg.user").last().locator(".msg-attachments a.chip").getAttribute("href");

        // edit: the stored PNG is a removable chip in the edit box and stays unless removed
        page.locator(".msg.user").last().getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions()
                .setName("Edit and resend")).click();
        Locator box = page.locator(".edit-box");
        assertThat(box.locator(".chip")).hasCount(1);
        assertThat(box.locator(".chip")).containsText("dot.png");
        assertThat(box.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Remove dot.png")))
                .isVisible();
        Ui.screenshot(page, "playground-edit-attachments.png");
        box.getByLabel("Edit message").fill("what is this, really?");
        Request kept = page.waitForRequest("**/turns", () -> box.getByRole(AriaRole.BUTTON,
                new Locator.GetByRoleOptions().setName("Save & submit")).click());
        assertTrue(kept.postData().contains("\"attachment_ids\":[\""), "the kept id is sent, not the bytes");
        assertTrue(!kept.postData().contains("data_url"), "no upload again");
        awaitAnswerEnd(page);
        Locator edited = page.locator(".msg.user").last();
        assertThat(edited.locator(".body")).hasText("what is this, really?");
        Locator chip = edited.locator(".msg-attachments a.chip");
        assertThat(chip).hasCount(1);
        assertThat(chip).containsText("dot.png");
        String copy = chip.getAttribute("href");
        assertNotEquals(original, copy, "the new version has its own copy");
        Download download = page.waitForDownload(chip::click);
        assertArrayEquals(png, Files.readAllBytes(download.path()));
        // after a reload the new version still shows it
        page.reload();
        assertThat(page.locator(".msg.user").last().locator(".body")).hasText("what is this, really?");
        assertThat(page.locator(".msg.user").last().locator(".msg-attachments a.chip")).hasCount(1);

        // edit again and remove the chip: nothing is attached to that version
        page.locator(".msg.user").last().getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions()
                .setName("Edit and resend")).click();
        box.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Remove dot.png")).click();
        assertThat(box.locator(".chip")).hasCount(0);
        box.getByLabel("Edit message").fill("never mind the picture");
        Request none = page.waitForRequest("**/turns", () -> box.getByRole(AriaRole.BUTTON,
                new Locator.GetByRoleOptions().setName("Save & submit")).click());
        assertTrue(!none.postData().contains("attachment_ids") && !none.postData().contains("attachments"),
                none.postData());
        awaitAnswerEnd(page);
        assertThat(page.locator(".msg.user").last().locator(".body")).hasText("never mind the picture");
        assertThat(page.locator(".msg.user").last().locator(".msg-attachments")).hasCount(0);
        page.context().close();
    }

    @Test
    void editingTheFirstMessageCarriesItsPngIntoTheNewChat(LocalPlatform platform) throws IOException {
        byte[] png = png();
        Page page = ui.login(platform, "alice");
        page.getByLabel("Model").selectOption(ECHO);
        page.locator("#file").setInputFiles(new FilePayload("first.png", "image/png", png));
        input(page).fill("first message with a picture");
        send(page).click();
        awaitAnswerEnd(page);
        String original = chatId(page);
        assertThat(page.locator(".msg.user .msg-attachments a.chip")).hasCount(1);

        // the first message has no parent: the edit starts a new chat, and the kept file goes with it
        page.locator(".msg.user").first().getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions()
                .setName("Edit and resend")).click();
        Locator box = page.locator(".edit-box");
        assertThat(box.locator(".chip")).containsText("first.png");
        box.getByLabel("Edit message").fill("first message, edited");
        box.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Save & submit")).click();
        // the new chat is open (the old answer's tools must not count as the new answer's end)
        assertThat(page).not().hasURL(Pattern.compile("#chat=" + original + "$"));
        assertThat(page.locator(".msg.user .body")).hasText("first message, edited");
        awaitAnswerEnd(page);
        assertNotEquals(original, chatId(page));
        Locator chip = page.locator(".msg.user .msg-attachments a.chip");
        assertThat(chip).hasCount(1);
        assertThat(chip).containsText("first.png");
        Download download = page.waitForDownload(chip::click);
        assertArrayEquals(png, Files.readAllBytes(download.path()));
        page.context().close();
    }

    @Test
    void attachmentsTheServerRefusesAreShownNextToTheAttachments(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        page.getByLabel("Model").selectOption(ECHO);
        page.locator("#file").setInputFiles(new FilePayload("notes.txt", "text/plain",
                "hello world".getBytes(StandardCharsets.UTF_8)));
        // a size that does not match the bytes, put into the request on its way out
        page.route("**/turns", route -> route.resume(new Route.ResumeOptions().setPostData(
                route.request().postData().replace("\"size_bytes\":11", "\"size_bytes\":12"))));
        input(page).fill("with a wrong size");
        send(page).click();
        assertThat(page.locator("#attach-error")).containsText("The server refused the attachments: ");
        assertThat(page.locator("#attach-error")).containsText("Remove them to send the text alone.");
        assertThat(page.locator("#chips .chip")).hasCount(1);
        assertThat(input(page)).hasValue("with a wrong size");
        assertThat(page.locator(".msg")).hasCount(0);
        page.context().close();
    }

    @Test
    void exportMenuDownloadsJsonWithTheMessagesAndMarkdownByKeyboard(LocalPlatform platform) throws IOException {
        Page page = ui.login(platform, "alice");
        chat(page, ECHO, "export me, please");
        awaitAnswerEnd(page);

        Locator export = page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Export").setExact(true));
        export.click();
        assertThat(export).hasAttribute("aria-expanded", "true");
        Locator menu = page.getByRole(AriaRole.MENU);
        assertThat(menu.getByRole(AriaRole.MENUITEM)).hasText(new String[] { "Markdown (.md)", "JSON (.json)" });
        Ui.screenshot(page, "playground-export-menu.png");
        Download json = page.waitForDownload(() -> menu.getByRole(AriaRole.MENUITEM,
                new Locator.GetByRoleOptions().setName("JSON (.json)")).click());
        assertTrue(json.suggestedFilename().matches("chat-[0-9a-f-]{36}\\.json"), json.suggestedFilename());
        JsonPath exported = JsonPath.from(Files.readString(json.path()));
        assertEquals(List.of("user", "assistant"), exported.getList("messages.role"));
        assertEquals(List.of("export me, please", "export me, please"), exported.getList("messages.content"));
        assertEquals(ECHO, exported.getString("model_name"));
        assertThat(menu).isHidden();
        assertThat(export).isFocused();

        // keyboard: ArrowDown opens the menu on its first item, Enter downloads Markdown, Escape closes it
        export.press("ArrowDown");
        assertThat(menu.getByRole(AriaRole.MENUITEM, new Locator.GetByRoleOptions().setName("Markdown (.md)")))
                .isFocused();
        Download markdown = page.waitForDownload(() -> page.keyboard().press("Enter"));
        assertTrue(markdown.suggestedFilename().endsWith(".md"), markdown.suggestedFilename());
        assertTrue(Files.readString(markdown.path()).contains("export me, please"));
        export.press("ArrowDown");
        page.keyboard().press("ArrowDown");
        assertThat(menu.getByRole(AriaRole.MENUITEM, new Locator.GetByRoleOptions().setName("JSON (.json)")))
                .isFocused();
        page.keyboard().press("Escape");
        assertThat(menu).isHidden();
        assertThat(export).isFocused();
        page.context().close();
    }

    @Test
    void forkFromAMessageOpensANewChatWithTheBranchAndTheLockBannerCarriesItToAnotherModel(LocalPlatform platform) {
        Page page = ui.login(platform, "alice");
        chat(page, ECHO, "fork question one");
        awaitAnswerEnd(page);
        chat(page, ECHO, "fork question two");
        awaitAnswerEnd(page);
        String original = chatId(page);

        // fork from the first answer: a new chat holding question one and its answer, the original unchanged
        page.locator(".msg.assistant").first().getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions()
                .setName("Fork from here")).click();
        assertThat(page.locator("#notice")).containsText("Forked from “fork question one”");
        String forked = chatId(page);
        assertNotEquals(original, forked);
        assertThat(page.locator(".msg .body")).hasText(new String[] { "fork question one", "fork question one" });
        assertThat(sessions(page).first().locator(".session-title")).hasText("fork question one (fork)");
        assertThat(sessions(page).first()).hasClass(Pattern.compile("\\bactive\\b"));
        chat(page, ECHO, "a new turn in the fork");
        awaitAnswerEnd(page);
        assertThat(page.locator(".msg .body")).hasText(new String[] { "fork question one", "fork question one",
                "a new turn in the fork", "a new turn in the fork" });
        Ui.screenshot(page, "playground-fork.png");

        // the original still has its four messages
        String alice = Clients.token(platform, "alice");
        assertEquals(4, Clients.chat(platform, alice).get("/v1/chat/sessions/" + original).then().statusCode(200)
                .extract().jsonPath().getList("messages").size());

        // lock banner: "new chat with another model" carries the conversation over to the other model
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("New chat with another model")).click();
        Locator dialog = page.locator("#switch-dialog");
        assertThat(dialog).isVisible();
        assertThat(dialog.getByLabel("Continue with")).isFocused();
        dialog.getByLabel("Continue with").selectOption(LLAMA);
        dialog.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Carry the conversation over")).click();
        assertThat(dialog).isHidden();
        assertThat(page.locator("#lock-banner")).containsText(LLAMA + " is locked for this chat");
        assertThat(page.locator("#notice")).containsText("to continue with " + LLAMA);
        assertThat(sessions(page).first().locator(".session-title")).hasText("fork question one (" + LLAMA + ")");
        assertNotEquals(forked, chatId(page));
        assertThat(page.locator(".msg .body")).hasCount(4);
        assertThat(page.locator(".msg.user .body").last()).hasText("a new turn in the fork");
        page.getByLabel("Max tokens").fill("8");
        chat(page, LLAMA, "and now the other model answers");
        awaitAnswerEnd(page);
        assertThat(page.locator(".msg .who").last()).hasText(LLAMA);
        String carried = chatId(page);
        page.context().close();

        // bob sees none of it
        Page bob = ui.login(platform, "bob");
        assertThat(bob.locator("#sessions")).not().containsText("fork question one");
        for (String id : List.of(original, forked, carried)) {
            assertEquals(404, bob.request().get(platform.chatUrl() + "/v1/chat/sessions/" + id).status());
            assertEquals(404, bob.request().get(platform.chatUrl() + "/v1/chat/sessions/" + id + "/export?format=json")
                    .status());
        }
        bob.context().close();
    }

    @Test
    void atANarrowWidthTheAttachmentChipsDetailsExportMenuAndSwitchDialogStayInView(LocalPlatform platform) {
        Page page = ui.login(platform, "alice", 420, 860);
        page.locator("#file").setInputFiles(new FilePayload("a-rather-long-file-name-for-a-narrow-window.txt",
                "text/plain", "narrow".getBytes(StandardCharsets.UTF_8)));
        page.locator("#advanced summary").click();
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("+ Add key/value")).click();
        page.getByLabel("Metadata key").fill("team");
        page.getByLabel("Metadata value").fill("narrow");
        page.locator("#advanced summary").click();
        chat(page, ECHO, "narrow and attached");
        awaitAnswerEnd(page);
        assertInView(page, page.locator(".msg.user .msg-attachments .chip"));
        page.locator(".msg.user").last().getByText("Details").click();
        assertInView(page, page.locator(".msg.user .msg-details dl"));
        assertInView(page, lastAnswer(page).getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions()
                .setName("Fork from here")));

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Export").setExact(true)).click();
        assertInView(page, page.getByRole(AriaRole.MENU));
        page.keyboard().press("Escape");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("New chat with another model")).click();
        assertInView(page, page.locator("#switch-dialog"));
        Ui.screenshot(page, "playground-narrow-switch.png");
        page.keyboard().press("Escape");
        assertThat(page.locator("#switch-dialog")).isHidden();
        page.context().close();
    }

    /** Visible and entirely inside the viewport's width (nothing cut off or scrolled sideways). */
    private static void assertInView(Page page, Locator locator) {
        assertThat(locator).isVisible();
        var box = locator.boundingBox();
        int width = page.viewportSize().width;
        assertTrue(box.x >= 0 && box.x + box.width <= width, "x " + box.x + " + " + box.width + " within " + width);
    }

    private static String chatId(Page page) {
        assertThat(page).hasURL(Pattern.compile("#chat=[0-9a-f-]{36}$"));
        return page.url().replaceFirst(".*#chat=", "");
    }

    /** A small real PNG (8x8, two colours). */
    static byte[] png() throws IOException {
        BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < 8; x++) {
            for (int y = 0; y < 8; y++) {
                image.setRGB(x, y, (x + y) % 2 == 0 ? Color.ORANGE.getRGB() : Color.BLUE.getRGB());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
