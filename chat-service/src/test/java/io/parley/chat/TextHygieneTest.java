package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Issue 15 "input hygiene": a NUL (U+0000) in a title, a message or a turn's metadata answered 500, since PostgreSQL's
 * text and jsonb cannot hold it. Now each answers 400 {@code invalid_text} naming the field, and nothing is stored.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class TextHygieneTest {

    @Test
    void aNulInATitleAnswers400OnCreateAndOnRename() {
        as(ALICE).body("{\"model\":\"sim-model\",\"title\":\"bad\\u0000title\"}").post("/v1/chat/sessions")
                .then().statusCode(400).body("error.code", equalTo("invalid_text"))
                .body("error.param", equalTo("title")).body("error.message", containsString("NUL"));
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).body("{\"title\":\"x\\u0000\"}").patch("/v1/chat/sessions/" + id)
                .then().statusCode(400).body("error.param", equalTo("title"));
        String title = Api.session(ALICE, id).getString("title");
        org.junit.jupiter.api.Assertions.assertFalse(title != null && title.startsWith("x"), "the rename was not stored");
    }

    @Test
    void aNulInATurnsContentOrMetadataAnswers400AndNoMessageIsStored() {
        String id = Api.createSession(ALICE, "sim-model");
        as(ALICE).accept("text/event-stream").body("{\"content\":\"hi\\u0000there\"}")
                .post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(400).body("error.code", equalTo("invalid_text"))
                .body("error.param", equalTo("content"));
        as(ALICE).accept("text/event-stream")
                .body("{\"content\":\"hi\",\"metadata\":{\"note\":\"a\\u0000b\"}}")
                .post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(400).body("error.code", equalTo("invalid_text"))
                .body("error.param", equalTo("metadata.note"));
        assertEquals(0, Api.session(ALICE, id).getList("messages").size(), "nothing of a refused turn is stored");
    }

    @Test
    void anOverlongUtf8NulInATurnAnswers400Too() {
        String id = Api.createSession(ALICE, "sim-model");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("{\"content\":\"hi ".getBytes(StandardCharsets.UTF_8));
        body.write(0xC0); // C0 80: the overlong form of U+0000, which Jackson decodes to U+0000
        body.write(0x80);
        body.writeBytes("\"}".getBytes(StandardCharsets.UTF_8));
        as(ALICE).accept("text/event-stream").body(body.toByteArray()).post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(400).body("error.param", equalTo("content"));
        assertEquals(0, Api.session(ALICE, id).getList("messages").size());
    }

    /** The forms issue 15 names: overlong ("/" as C0 AF and E0 80 AF, "A" as C1 81), a lone surrogate, a five-byte form. */
    static final int[][] MALFORMED = { { 0xC0, 0xAF }, { 0xE0, 0x80, 0xAF }, { 0xC1, 0x81 }, { 0xED, 0xA0, 0x80 },
            { 0xF8, 0x88, 0x80, 0x80, 0x80 }, { 0xFF } };

    /** {@code json} with the bytes {@code bad} in place of the text {@code X}. */
    static byte[] withBytes(String json, int[] bad) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte b : json.getBytes(StandardCharsets.UTF_8)) {
            if (b == 'X') {
                for (int x : bad) {
                    out.write(x);
                }
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    /** Issue 15: overlong and invalid UTF-8 was accepted (C1 81 stored as "A"); now 400 naming the field. */
    @Test
    void overlongAndInvalidUtf8AnswersInvalidTextNamingTheFieldAndNothingIsStored() {
        String id = Api.createSession(ALICE, "sim-model");
        int sessions = as(ALICE).get("/v1/chat/sessions").then().statusCode(200).extract().path("data.size()");
        for (int[] bad : MALFORMED) {
            as(ALICE).body(withBytes("{\"model\":\"sim-model\",\"title\":\"a X b\"}", bad)).post("/v1/chat/sessions")
                    .then().statusCode(400).body("error.code", equalTo("invalid_text"))
                    .body("error.type", equalTo("invalid_request_error"))
                    .body("error.param", equalTo("title")).body("error.message", containsString("not valid UTF-8"));
            as(ALICE).body(withBytes("{\"title\":\"X\"}", bad)).patch("/v1/chat/sessions/" + id)
                    .then().statusCode(400).body("error.param", equalTo("title"));
            as(ALICE).body(withBytes("{\"role\":\"user\",\"content\":\"hi X\"}", bad))
                    .post("/v1/chat/sessions/" + id + "/messages")
                    .then().statusCode(400).body("error.code", equalTo("invalid_text"))
                    .body("error.param", equalTo("content"));
            as(ALICE).accept("text/event-stream").body(withBytes("{\"content\":\"hi X\"}", bad))
                    .post("/v1/chat/sessions/" + id + "/turns")
                    .then().statusCode(400).body("error.code", equalTo("invalid_text"))
                    .body("error.param", equalTo("content"));
            as(ALICE).accept("text/event-stream")
                    .body(withBytes("{\"content\":\"hi\",\"metadata\":{\"note\":\"X\"}}", bad))
                    .post("/v1/chat/sessions/" + id + "/turns")
                    .then().statusCode(400).body("error.code", equalTo("invalid_text"))
                    .body("error.param", equalTo("metadata.note"));
        }
        as(ALICE).get("/v1/chat/sessions").then().statusCode(200).body("data.size()", equalTo(sessions));
        assertEquals(0, Api.session(ALICE, id).getList("messages").size(), "nothing of a refused request is stored");
        org.junit.jupiter.api.Assertions.assertNull(Api.session(ALICE, id).getString("title"));
    }

    /** Well-formed text of two, three and four bytes a character is stored as sent. */
    @Test
    void wellFormedMultiByteTextIsStoredAsSent() {
        String id = Api.createSession(ALICE, "sim-model");
        String text = "é € 𝄞 \uFFFD \uD7FF";
        as(ALICE).body(("{\"role\":\"user\",\"content\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8))
                .post("/v1/chat/sessions/" + id + "/messages").then().statusCode(201);
        assertEquals(text, Api.session(ALICE, id).getString("messages[0].content"));
    }
}
