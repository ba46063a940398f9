package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.BOB;
import static io.parley.chat.Api.as;
import static io.parley.chat.AttachmentTest.PDF;
import static io.parley.chat.AttachmentTest.PNG;
import static io.parley.chat.AttachmentTest.TXT;
import static io.parley.chat.AttachmentTest.attachment;
import static io.parley.chat.AttachmentTest.dataUrl;
import static io.parley.chat.AttachmentTest.sha256;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/**
 * {@code attachment_ids} of a turn (docs/architecture.md "Turn envelope and attachments"): edit-and-resend keeps the
 * files of the edited message by naming them; they are copied to the new user message in its transaction.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class AttachmentKeepTest {

    static final long MAX_BYTES = 100L * 1024 * 1024;

    @Inject
    DataSource dataSource;

    /** A chat of two turns whose second user message carries cat.png and spec.pdf. */
    private static String chatWithFiles(String token) {
        String id = Api.createSession(token, "sim-model");
        Api.turn(token, id, "first");
        Api.turnJson(token, id, "{\"content\":\"look\",\"attachments\":[" + attachment("cat.png", "image/png", PNG)
                + "," + attachment("spec.pdf", "application/pdf", PDF) + "]}");
        return id;
    }

    private static String edit(String content, String parentId, String ids, String... attachments) {
        return "{\"content\":\"" + content + "\",\"parent_id\":\"" + parentId + "\",\"attachment_ids\":[" + ids + "]"
                + (attachments.length == 0 ? "" : ",\"attachments\":[" + String.join(",", attachments) + "]") + "}";
    }

    private static String quoted(String... ids) {
        return String.join(",", java.util.Arrays.stream(ids).map(i -> "\"" + i + "\"").toList());
    }

    @Test
    void anEditedMessageKeepsTheNamedAttachmentsAsCopiesAndSendsThemWithNewFiles() throws Exception {
        String id = chatWithFiles(ALICE);
        JsonPath before = Api.session(ALICE, id);
        String parent = before.getString("messages[2].parent_id");
        String png = before.getString("messages[2].attachments[0].id");

        // edit: keep the PNG, drop the PDF, add a text file
        Api.turnJson(ALICE, id, edit("look again", parent, quoted(png), attachment("notes.txt", "text/plain", TXT)));

        JsonPath after = Api.session(ALICE, id);
        assertEquals(6, after.getList("messages").size());
        assertEquals("look again", after.getString("messages[4].content"));
        assertEquals(parent, after.getString("messages[4].parent_id"));
        assertEquals(List.of("cat.png", "notes.txt"), after.getList("messages[4].attachments.name"));
        String copy = after.getString("messages[4].attachments[0].id");
        assertNotEquals(png, copy, "a copy of its own, deleted with its message");
        assertEquals(sha256(PNG), after.getString("messages[4].attachments[0].sha256"));
        assertArrayEquals(PNG, as(ALICE).get("/v1/chat/sessions/" + id + "/attachments/" + copy).then()
                .statusCode(200).contentType("image/png").extract().asByteArray());
        // the edited original keeps both of its files
        assertEquals(List.of("cat.png", "spec.pdf"), after.getList("messages[2].attachments.name"));

        // the proxy got the kept image and the new file with the edited text, not the dropped PDF
        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals(List.of("user", "assistant", "user"), call.getList("body.messages.role"));
        assertEquals(List.of("text", "image_url", "file"), call.getList("body.messages[2].content.type"));
        assertEquals("look again", call.getString("body.messages[2].content[0].text"));
        assertEquals(dataUrl("image/png", PNG), call.getString("body.messages[2].content[1].image_url.url"));
        assertEquals("notes.txt", call.getString("body.messages[2].content[2].file.filename"));

        // and later turns of the branch re-send the copy with the history
        Api.turn(ALICE, id, "and then?");
        call = Api.lastProxyRequestFor(id);
        assertEquals(dataUrl("image/png", PNG), call.getString("body.messages[2].content[1].image_url.url"));
    }

    @Test
    void anEditWithoutAttachmentIdsSendsNoFiles() {
        String id = chatWithFiles(ALICE);
        String parent = Api.session(ALICE, id).getString("messages[2].parent_id");
        Api.turnJson(ALICE, id, edit("look, without files", parent, ""));
        JsonPath after = Api.session(ALICE, id);
        assertEquals(List.of(), after.getList("messages[4].attachments"));
        assertEquals("look, without files", Api.lastProxyRequestFor(id).getString("body.messages[2].content"));
    }

    @Test
    void idsOfAnotherChatAreRefusedWith400AndAnotherUsersLikeUnknownOnesWith404() {
        String id = chatWithFiles(ALICE);
        String parent = Api.session(ALICE, id).getString("messages[2].parent_id");
        String otherChat = chatWithFiles(ALICE);
        String aliceElsewhere = Api.session(ALICE, otherChat).getString("messages[2].attachments[0].id");
        String bobs = chatWithFiles(BOB);
        String bobsFile = Api.session(BOB, bobs).getString("messages[2].attachments[0].id");

        as(ALICE).accept("text/event-stream").body(edit("x", parent, quoted(aliceElsewhere)))
                .post("/v1/chat/sessions/" + id + "/turns").then().statusCode(400)
                .body("error.param", equalTo("attachment_ids"));
        for (String bad : List.of("\"not-a-uuid\"", "42", "{}", quoted(aliceElsewhere, aliceElsewhere))) {
            as(ALICE).accept("text/event-stream").body(edit("x", parent, bad))
                    .post("/v1/chat/sessions/" + id + "/turns").then().statusCode(400)
                    .body("error.param", equalTo("attachment_ids"));
        }
        as(ALICE).accept("text/event-stream")
                .body("{\"content\":\"x\",\"attachment_ids\":\"" + aliceElsewhere + "\"}")
                .post("/v1/chat/sessions/" + id + "/turns").then().statusCode(400)
                .body("error.param", equalTo("attachment_ids"));

        // bob's file and an id that never existed answer the same: nothing tells alice that bob's exists
        String bobsAnswer = as(ALICE).accept("text/event-stream").body(edit("x", parent, quoted(bobsFile)))
                .post("/v1/chat/sessions/" + id + "/turns").then().statusCode(404)
                .body("error.param", equalTo("attachment_ids")).extract().asString();
        String unknownAnswer = as(ALICE).accept("text/event-stream")
                .body(edit("x", parent, quoted(UUID.randomUUID().toString())))
                .post("/v1/chat/sessions/" + id + "/turns").then().statusCode(404).extract().asString();
        assertEquals(unknownAnswer, bobsAnswer);

        // nothing was stored, and bob's file is untouched
        assertEquals(4, Api.session(ALICE, id).getList("messages").size());
        as(BOB).get("/v1/chat/sessions/" + bobs + "/attachments/" + bobsFile).then().statusCode(200);
    }

    @Test
    void keptAttachmentsCountTowardTheLimitOfATurn() throws Exception {
        String id = chatWithFiles(ALICE);
        JsonPath before = Api.session(ALICE, id);
        String parent = before.getString("messages[2].parent_id");
        String png = before.getString("messages[2].attachments[0].id");
        // the stored size is what counts: make the PNG weigh almost the whole limit
        exec("UPDATE chat_attachments SET size_bytes = " + (MAX_BYTES - 100) + " WHERE id = '" + png + "'");

        // with 300 more bytes the turn is over the limit: 413, nothing stored
        as(ALICE).accept("text/event-stream")
                .body(edit("too much", parent, quoted(png), attachment("cat2.png", "image/png", PNG)))
                .post("/v1/chat/sessions/" + id + "/turns").then().statusCode(413)
                .body("error.code", equalTo("attachments_too_large"));
        assertEquals(4, Api.session(ALICE, id).getList("messages").size());

        // alone it fits
        Api.turnJson(ALICE, id, edit("just the one", parent, quoted(png)));
        JsonPath after = Api.session(ALICE, id);
        assertEquals(List.of("cat.png"), after.getList("messages[4].attachments.name"));
        assertEquals(MAX_BYTES - 100, after.getLong("messages[4].attachments[0].size_bytes"));
    }

    private void exec(String sql) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
