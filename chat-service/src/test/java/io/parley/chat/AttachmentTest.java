package io.parley.chat;

import static io.parley.chat.Api.ALICE;
import static io.parley.chat.Api.BOB;
import static io.parley.chat.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.parley.testsupport.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/** Attachments of a turn (docs/architecture.md "Turn envelope and attachments"). */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeUpstreams.class)
class AttachmentTest {

    static final byte[] PNG = bytes(300, 1);
    static final byte[] PDF = "%PDF-1.4 tiny".getBytes(StandardCharsets.UTF_8);
    static final byte[] WAV = bytes(64, 2);
    static final byte[] TXT = "plain notes".getBytes(StandardCharsets.UTF_8);
    static final byte[] ZIP = bytes(40, 3);

    @Inject
    DataSource dataSource;

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String dataUrl(String mime, byte[] data) {
        return "data:" + mime + ";base64," + Base64.getEncoder().encodeToString(data);
    }

    static String attachment(String name, String mime, byte[] data) {
        return "{\"name\":\"" + name + "\",\"mime_type\":\"" + mime + "\",\"size_bytes\":" + data.length
                + ",\"data_url\":\"" + dataUrl(mime, data) + "\"}";
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    static String turnBody(String content, String extra, String... attachments) {
        return "{\"content\":\"" + content + "\"" + (extra.isEmpty() ? "" : "," + extra) + ",\"attachments\":["
                + String.join(",", attachments) + "]}";
    }

    @Test
    void attachmentsAreStoredWithTheUserMessageAndSentAsChatCompletionsContentParts() throws Exception {
        String id = Api.createSession(ALICE, "sim-model");
        List<SseEvents.Event> events = Api.turnJson(ALICE, id, turnBody("what is in these?", "",
                attachment("cat.png", "image/png", PNG), attachment("spec.pdf", "application/pdf", PDF),
                attachment("hello.wav", "audio/wav", WAV)));
        assertEquals("message_end", events.get(events.size() - 1).name());

        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals(List.of("text", "image_url", "file", "input_audio"), call.getList("body.messages[0].content.type"));
        assertEquals("what is in these?", call.getString("body.messages[0].content[0].text"));
        assertEquals(dataUrl("image/png", PNG), call.getString("body.messages[0].content[1].image_url.url"));
        assertEquals("spec.pdf", call.getString("body.messages[0].content[2].file.filename"));
        assertEquals(dataUrl("application/pdf", PDF), call.getString("body.messages[0].content[2].file.file_data"));
        assertEquals(Base64.getEncoder().encodeToString(WAV),
                call.getString("body.messages[0].content[3].input_audio.data"));
        assertEquals("wav", call.getString("body.messages[0].content[3].input_audio.format"));

        String view = as(ALICE).get("/v1/chat/sessions/" + id).then().statusCode(200).extract().asString();
        assertFalse(view.contains(Base64.getEncoder().encodeToString(PNG)), "views never carry the bytes");
        assertFalse(view.contains("data_url"));
        JsonPath s = JsonPath.from(view);
        assertEquals(List.of("cat.png", "spec.pdf", "hello.wav"), s.getList("messages[0].attachments.name"));
        assertEquals(List.of("image/png", "application/pdf", "audio/wav"), s.getList("messages[0].attachments.mime_type"));
        assertEquals(List.of(PNG.length, PDF.length, WAV.length), s.getList("messages[0].attachments.size_bytes"));
        assertEquals(sha256(PNG), s.getString("messages[0].attachments[0].sha256"));
        assertTrue(s.getList("messages[1].attachments").isEmpty());
    }

    @Test
    void attachmentsAreResentWithTheHistoryOnLaterTurns() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, id, turnBody("look", "", attachment("cat.png", "image/png", PNG)));
        Api.turn(ALICE, id, "and now?");
        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals(List.of("user", "assistant", "user"), call.getList("body.messages.role"));
        assertEquals(dataUrl("image/png", PNG), call.getString("body.messages[0].content[1].image_url.url"));
        assertEquals("and now?", call.getString("body.messages[2].content"));

        // in another mode the same history carries the file in that API's parts
        Api.turnJson(ALICE, id, "{\"content\":\"third\",\"endpoint_mode\":\"messages\"}");
        call = Api.lastProxyRequestFor(id);
        assertEquals("image", call.getString("body.messages[0].content[0].type"));
        assertEquals(Base64.getEncoder().encodeToString(PNG), call.getString("body.messages[0].content[0].source.data"));
    }

    @Test
    void responsesModeSendsInputImageAndInputFileParts() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, id, turnBody("files", "\"endpoint_mode\":\"responses\"",
                attachment("cat.png", "image/png", PNG), attachment("spec.pdf", "application/pdf", PDF)));
        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals(List.of("input_text", "input_image", "input_file"), call.getList("body.input[0].content.type"));
        assertEquals(dataUrl("image/png", PNG), call.getString("body.input[0].content[1].image_url"));
        assertEquals("spec.pdf", call.getString("body.input[0].content[2].filename"));
        assertEquals(dataUrl("application/pdf", PDF), call.getString("body.input[0].content[2].file_data"));
    }

    @Test
    void messagesModeSendsImageAndDocumentBlocksAndANoteForOtherTypes() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, id, turnBody("files", "\"endpoint_mode\":\"messages\"",
                attachment("cat.png", "image/png", PNG), attachment("spec.pdf", "application/pdf", PDF),
                attachment("notes.txt", "text/plain", TXT), attachment("bundle.zip", "application/zip", ZIP)));
        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals(List.of("image", "document", "document", "text", "text"), call.getList("body.messages[0].content.type"));
        assertEquals("base64", call.getString("body.messages[0].content[0].source.type"));
        assertEquals("image/png", call.getString("body.messages[0].content[0].source.media_type"));
        assertEquals(Base64.getEncoder().encodeToString(PDF), call.getString("body.messages[0].content[1].source.data"));
        assertEquals("text", call.getString("body.messages[0].content[2].source.type"));
        assertEquals("plain notes", call.getString("body.messages[0].content[2].source.data"));
        assertTrue(call.getString("body.messages[0].content[3].text").contains("bundle.zip"));
        assertEquals("files", call.getString("body.messages[0].content[4].text"));
    }

    @Test
    void aDataUrlWithJsonEscapedSlashesOrSpacesAroundTheKeyIsReadTheSame() throws Exception {
        // base64 with '/' in it, written with "\/" escapes as some JSON encoders do
        byte[] data = new byte[] { (byte) 0xff, (byte) 0xff, (byte) 0xfe, 1, 2, 3 };
        String escaped = Base64.getEncoder().encodeToString(data).replace("/", "\\/");
        assertTrue(escaped.contains("\\/"));
        String id = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, id, "{\"content\":\"escaped\",\"attachments\":[{\"name\":\"e.bin\",\"data_url\":"
                + "\"data:application/octet-stream;base64," + escaped + "\"},{\"name\":\"s.bin\",\"data_url\" : "
                + "\"" + dataUrl("application/octet-stream", ZIP) + "\"}]}");
        JsonPath s = Api.session(ALICE, id);
        assertEquals(sha256(data), s.getString("messages[0].attachments[0].sha256"));
        assertEquals(sha256(ZIP), s.getString("messages[0].attachments[1].sha256"));
    }

    @Test
    void contentThatQuotesADataUrlIsLeftAsTyped() {
        String id = Api.createSession(ALICE, "sim-model");
        String typed = "see {\"data_url\": \"data:text/plain;base64,aGk=\"}";
        Api.turnJson(ALICE, id, "{\"content\":" + io.vertx.core.json.Json.encode(typed) + "}");
        JsonPath s = Api.session(ALICE, id);
        assertEquals(typed, s.getString("messages[0].content"));
        assertTrue(s.getList("messages[0].attachments").isEmpty());
    }

    @Test
    void theBytesAreServedOnlyToTheOwner() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, id, turnBody("keep", "", attachment("my \\\"cat\\\".png", "image/png", PNG)));
        String attachmentId = Api.session(ALICE, id).getString("messages[0].attachments[0].id");
        ExtractableResponse<Response> file = as(ALICE).get("/v1/chat/sessions/" + id + "/attachments/" + attachmentId)
                .then().statusCode(200).contentType("image/png").extract();
        assertArrayEquals(PNG, file.asByteArray());
        String disposition = file.header("Content-Disposition");
        assertTrue(disposition.startsWith("attachment; filename=\"my _cat_.png\""), disposition);
        assertEquals("nosniff", file.header("X-Content-Type-Options"));

        as(BOB).get("/v1/chat/sessions/" + id + "/attachments/" + attachmentId).then().statusCode(404)
                .body("error.code", equalTo("not_found"));
        String bobs = Api.createSession(BOB, "sim-model");
        as(BOB).get("/v1/chat/sessions/" + bobs + "/attachments/" + attachmentId).then().statusCode(404);
        as(ALICE).get("/v1/chat/sessions/" + id + "/attachments/" + java.util.UUID.randomUUID()).then().statusCode(404);
        RestAssured.given().get("/v1/chat/sessions/" + id + "/attachments/" + attachmentId).then().statusCode(401);
    }

    @Test
    void deletingTheSessionDeletesItsAttachments() throws Exception {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, id, turnBody("gone soon", "", attachment("cat.png", "image/png", PNG)));
        String attachmentId = Api.session(ALICE, id).getString("messages[0].attachments[0].id");
        assertEquals(1, count("SELECT count(*) FROM chat_attachments WHERE id = '" + attachmentId + "'"));
        as(ALICE).delete("/v1/chat/sessions/" + id).then().statusCode(204);
        assertEquals(0, count("SELECT count(*) FROM chat_attachments WHERE id = '" + attachmentId + "'"));
    }

    @Test
    void malformedAttachmentsAnswer400NamingAttachmentsAndStoreNothing() {
        String id = Api.createSession(ALICE, "sim-model");
        String good = Base64.getEncoder().encodeToString(PNG);
        List<String> bad = List.of(
                "{\"name\":\"a.png\",\"data_url\":\"https://example.com/a.png\"}",
                "{\"name\":\"a.png\",\"data_url\":\"data:image/png,notbase64\"}",
                "{\"name\":\"a.png\",\"data_url\":\"data:image/png;base64,@@@###\"}",
                "{\"name\":\"a.png\",\"size_bytes\":3,\"data_url\":\"data:image/png;base64," + good + "\"}",
                "{\"name\":\"a.png\",\"size_bytes\":-1,\"data_url\":\"data:image/png;base64," + good + "\"}",
                "{\"data_url\":\"data:image/png;base64," + good + "\"}",
                "{\"name\":\"a\\u0000.png\",\"data_url\":\"data:image/png;base64," + good + "\"}",
                "{\"name\":\"a.png\",\"mime_type\":\"not a type\",\"data_url\":\"data:image/png;base64," + good + "\"}",
                "\"just a string\"");
        for (String attachment : bad) {
            as(ALICE).accept("text/event-stream").body(turnBody("bad", "", attachment))
                    .post("/v1/chat/sessions/" + id + "/turns")
                    // the NUL in a name is named down to the field: attachments[0].name
                    .then().statusCode(400).body("error.param", org.hamcrest.Matchers.startsWith("attachments"));
        }
        as(ALICE).accept("text/event-stream").body("{\"content\":\"bad\",\"attachments\":{}}")
                .post("/v1/chat/sessions/" + id + "/turns").then().statusCode(400)
                .body("error.param", equalTo("attachments"));
        assertTrue(Api.session(ALICE, id).getList("messages").isEmpty());
    }

    @Test
    void attachmentsOverTheLimitTogetherAnswer413() {
        String id = Api.createSession(ALICE, "sim-model");
        long half = 60L * 1024 * 1024;
        String a = "{\"name\":\"a.bin\",\"size_bytes\":" + half
                + ",\"data_url\":\"data:application/octet-stream;base64,AAAA\"}";
        as(ALICE).accept("text/event-stream").body(turnBody("too big", "", a, a))
                .post("/v1/chat/sessions/" + id + "/turns")
                .then().statusCode(413).body("error.param", equalTo("attachments"))
                .body("error.code", equalTo("attachments_too_large"));
        assertTrue(Api.session(ALICE, id).getList("messages").isEmpty());
    }

    @Test
    void aBodyWhoseContentLengthCannotFitIsRefusedWith413BeforeItIsRead() throws Exception {
        String id = Api.createSession(ALICE, "sim-model");
        // over base64(100 MiB) + slack but under quarkus.http.limits.max-body-size: chat-service's own check answers
        long length = 145_000_000L;
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/sessions/" + id + "/turns HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + ALICE + "\r\nContent-Type: application/json\r\n"
                    + "Accept: text/event-stream\r\nContent-Length: " + length + "\r\n\r\n{\"content\":\"x\",")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder received = new StringBuilder();
            int b;
            // the answer comes while the client has sent almost nothing; read it up to the end of its JSON body
            while (!received.toString().endsWith("}}") && (b = in.read()) >= 0) {
                received.append((char) b);
            }
            String response = received.toString();
            assertTrue(response.startsWith("HTTP/1.1 413"), response);
            assertTrue(response.contains("\"param\":\"attachments\""), response);
        }
        assertTrue(Api.session(ALICE, id).getList("messages").isEmpty());
    }

    @Test
    void aSixteenMebibyteAttachmentIsStoredAndForwardedWhole() throws Exception {
        String id = Api.createSession(ALICE, "sim-model");
        byte[] big = bytes(16 * 1024 * 1024, 7);
        String url = dataUrl("application/octet-stream", big);
        Api.turnJson(ALICE, id, "{\"content\":\"big file\",\"attachments\":[{\"name\":\"big.bin\",\"size_bytes\":"
                + big.length + ",\"data_url\":\"" + url + "\"}]}");
        JsonPath s = Api.session(ALICE, id);
        assertEquals(big.length, s.getLong("messages[0].attachments[0].size_bytes"));
        assertEquals(sha256(big), s.getString("messages[0].attachments[0].sha256"));
        assertEquals("complete", s.getString("messages[1].status"));
        JsonPath call = Api.lastProxyRequestFor(id);
        assertEquals("sha256:" + FakeUpstreams.sha256(url) + ":" + url.length(),
                call.getString("body.messages[0].content[1].file.file_data"));
    }

    @Test
    void theMessageAndItsAttachmentsCommitTogetherOrNotAtAll() throws Exception {
        String id = Api.createSession(ALICE, "sim-model");
        // fault injection: the database refuses the second attachment, after the message and the first are inserted
        exec("CREATE OR REPLACE FUNCTION refuse_explode() RETURNS trigger AS $$ BEGIN "
                + "RAISE EXCEPTION 'disk full (test)'; END; $$ LANGUAGE plpgsql");
        exec("CREATE TRIGGER refuse_explode BEFORE INSERT ON chat_attachments FOR EACH ROW "
                + "WHEN (NEW.name = 'explode.bin') EXECUTE FUNCTION refuse_explode()");
        String body = turnBody("all or nothing", "\"idempotency_key\":\"atomic-1\"", attachment("ok.png", "image/png", PNG),
                attachment("explode.bin", "application/octet-stream", ZIP));
        try {
            as(ALICE).accept("text/event-stream").body(body).post("/v1/chat/sessions/" + id + "/turns")
                    .then().statusCode(500).body("error.type", equalTo("server_error"))
                    .body(org.hamcrest.Matchers.not(containsString("disk full")));
            assertTrue(Api.session(ALICE, id).getList("messages").isEmpty(), "no message without its files");
            assertEquals(0, count("SELECT count(*) FROM chat_attachments WHERE name = 'ok.png' AND message_id IN "
                    + "(SELECT id FROM chat_messages WHERE session_id = '" + id + "')"));
            assertNull(Api.session(ALICE, id).get("title"), "the session's title is rolled back too");
            assertTrue(Api.proxyRequestsFor(id).isEmpty(), "nothing was sent");
        } finally {
            exec("DROP TRIGGER refuse_explode ON chat_attachments");
            exec("DROP FUNCTION refuse_explode()");
        }
        // the same request (same idempotency key) now goes through once
        Api.turnJson(ALICE, id, body);
        JsonPath s = Api.session(ALICE, id);
        assertEquals(List.of("user", "assistant"), s.getList("messages.role"));
        assertEquals(List.of("ok.png", "explode.bin"), s.getList("messages[0].attachments.name"));
    }

    @Test
    void viewCodeReplaysTheEnvelopeWithPlaceholderAttachmentsInEveryMode() throws Exception {
        String png = Base64.getEncoder().encodeToString(PNG);
        Map<String, List<String>> expected = Map.of(
                "chat_completions", List.of("client.chat.completions.create", "/v1/chat/completions",
                        "client.chat.completions.create"),
                "responses", List.of("client.responses.create", "/v1/responses", "client.responses.create"),
                "messages", List.of("import anthropic", "/v1/messages", "fetch("));
        for (String mode : List.of("chat_completions", "responses", "messages")) {
            String id = Api.createSession(ALICE, "sim-model");
            Api.turnJson(ALICE, id, turnBody("describe", "\"endpoint_mode\":\"" + mode + "\",\"correlation_id\":\"code-42\","
                    + "\"metadata\":{\"team\":\"search\"},\"overrides\":{\"max_tokens\":5}",
                    attachment("cat.png", "image/png", PNG)));
            List<String> langs = List.of("python", "curl", "javascript");
            for (int i = 0; i < 3; i++) {
                String lang = langs.get(i);
                String code = as(ALICE).get("/v1/chat/sessions/" + id + "/code?lang=" + lang).then().statusCode(200)
                        .extract().asString();
                String what = mode + "/" + lang + ":\n" + code;
                assertTrue(code.contains(expected.get(mode).get(i)), what);
                assertTrue(code.contains("code-42"), "correlation id: " + what);
                assertTrue(code.contains("X-Parley-Overrides"), "overrides header: " + what);
                assertTrue(code.contains("max_tokens") && code.contains("5"), what);
                assertTrue(code.contains("search") && code.contains("playground"), "metadata: " + what);
                assertTrue(code.contains("<base64 of cat.png>"), "attachment placeholder: " + what);
                assertFalse(code.contains(png), "never the bytes: " + what);
                assertTrue(code.contains("PARLEY_API_KEY"), what);
                assertFalse(code.contains(ALICE) || code.contains("eyJ"), "no token: " + what);
                assertParses(lang, code, what);
            }
        }
    }

    /** The snippet is valid Python / shell / JavaScript module source, checked by the real interpreters. */
    private static void assertParses(String lang, String code, String what) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("snippet-",
                switch (lang) {
                    case "python" -> ".py";
                    case "curl" -> ".sh";
                    default -> ".mjs";
                });
        try {
            java.nio.file.Files.writeString(file, code);
            List<String> command = switch (lang) {
                case "python" -> List.of("python3", "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())",
                        file.toString());
                case "curl" -> List.of("bash", "-n", file.toString());
                default -> List.of("node", "--check", file.toString());
            };
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, process.waitFor(), "syntax of " + what + "\n" + output);
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void exportCarriesAttachmentMetadataAndTheEnvelope() throws Exception {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, id, turnBody("export me", "\"correlation_id\":\"exp-1\",\"endpoint_mode\":\"responses\"",
                attachment("cat.png", "image/png", PNG)));
        String json = as(ALICE).get("/v1/chat/sessions/" + id + "/export?format=json").then().statusCode(200)
                .extract().asString();
        JsonPath j = JsonPath.from(json);
        assertEquals("cat.png", j.getString("messages[0].attachments[0].name"));
        assertEquals(sha256(PNG), j.getString("messages[0].attachments[0].sha256"));
        assertEquals("exp-1", j.getString("messages[0].envelope.correlation_id"));
        assertEquals("responses", j.getString("messages[0].envelope.endpoint_mode"));
        assertFalse(json.contains(Base64.getEncoder().encodeToString(PNG)));
        String md = as(ALICE).get("/v1/chat/sessions/" + id + "/export?format=markdown").then().statusCode(200)
                .extract().asString();
        assertTrue(md.contains("Attachment: `cat.png` (image/png, " + PNG.length + " bytes"), md);
        assertTrue(md.contains("exp-1") && md.contains("responses"), md);
    }

    @Test
    void aForkKeepsTheAttachmentsOfTheCopiedMessages() {
        String id = Api.createSession(ALICE, "sim-model");
        Api.turnJson(ALICE, id, turnBody("fork with file", "", attachment("cat.png", "image/png", PNG)));
        String forkId = as(ALICE).body("{}").post("/v1/chat/sessions/" + id + "/fork").then().statusCode(201)
                .extract().path("id");
        JsonPath fork = Api.session(ALICE, forkId);
        assertEquals("cat.png", fork.getString("messages[0].attachments[0].name"));
        String copied = fork.getString("messages[0].attachments[0].id");
        assertArrayEquals(PNG, as(ALICE).get("/v1/chat/sessions/" + forkId + "/attachments/" + copied).then()
                .statusCode(200).extract().asByteArray());
    }

    private void exec(String sql) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private int count(String sql) throws Exception {
        try (Connection c = dataSource.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
