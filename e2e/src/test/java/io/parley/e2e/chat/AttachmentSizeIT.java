package io.parley.e2e.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.parley.e2e.Clients;
import io.parley.e2e.PlatformExtension;
import io.parley.e2e.platform.LocalPlatform;
import io.restassured.path.json.JsonPath;

/**
 * Attachments of the documented size through the real chain (issue 15 point 4): chat-service (1 GiB heap in the
 * platform) stores the file and sends it to the proxy (1 GiB), which relays it to the simulator (512 MiB). A single
 * 16 MiB image used to end as 400 {@code invalid_json} after chat-service had stored it (Jackson's 20 million
 * character limit in the proxy and the simulator), and 100 MiB did not fit the simulator's body cap. Covered: a
 * 60 MiB image in the stored path (the turn that uploads it) and the forwarded path (a later turn, the file read back
 * from the database with the history), the same image straight to the proxy as an API client sends it, exactly
 * 100 MiB, and one byte over the cap: 413 {@code attachments_too_large}, nothing stored.
 */
@ExtendWith(PlatformExtension.class)
class AttachmentSizeIT {

    static final String MODEL = "llama-3.1-8b-sim";
    static final int MIB = 1024 * 1024;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    static LocalPlatform platform;
    static String alice;

    @BeforeAll
    static void logIn(LocalPlatform started) {
        platform = started;
        alice = Clients.token(platform, "alice");
        Clients.awaitRunning(platform, alice, MODEL);
    }

    static byte[] image(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    /** {@code head} + base64(file) + {@code tail} in one array, without intermediate strings of the base64. */
    static byte[] body(String head, byte[] file, String tail) {
        byte[] h = head.getBytes(StandardCharsets.UTF_8);
        byte[] t = tail.getBytes(StandardCharsets.UTF_8);
        byte[] encoded = Base64.getEncoder().encode(file);
        byte[] out = new byte[h.length + encoded.length + t.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(encoded, 0, out, h.length, encoded.length);
        System.arraycopy(t, 0, out, h.length + encoded.length, t.length);
        return out;
    }

    static byte[] turnWith(String content, String name, byte[] file) {
        return body("{\"content\":\"" + content + "\",\"attachments\":[{\"name\":\"" + name + "\",\"mime_type\":"
                + "\"image/png\",\"size_bytes\":" + file.length + ",\"data_url\":\"data:image/png;base64,", file,
                "\"}]}");
    }

    static String session() {
        return Clients.chat(platform, alice).body(Map.of("model", MODEL, "params", Map.of("max_tokens", 5)))
                .post("/v1/chat/sessions").then().statusCode(201).extract().path("id");
    }

    static HttpResponse<String> turn(String session, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(platform.chatUrl() + "/v1/chat/sessions/" + session
                + "/turns")).timeout(Duration.ofMinutes(5)).header("Authorization", "Bearer " + alice)
                .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The {@code message_end} of a streamed turn, which must have completed. */
    static JsonPath completed(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body());
        // the last event (lines "event:<name>" and "data:<json>", in any order) is message_end
        String[] blocks = response.body().trim().split("\n\n");
        List<String> last = List.of(blocks[blocks.length - 1].split("\n"));
        assertTrue(last.stream().anyMatch(l -> l.replace(" ", "").equals("event:message_end")), response.body());
        String data = last.stream().filter(l -> l.startsWith("data:")).findFirst().orElseThrow().substring(5).trim();
        JsonPath end = JsonPath.from(data);
        assertEquals("complete", end.getString("status"), response.body());
        return end;
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    @Test
    void aSixtyMebibyteImageIsAnsweredWhenUploadedAndWhenResentWithTheHistory() throws Exception {
        String session = session();
        byte[] file = image(60 * MIB);
        String sha = sha256(file);
        JsonPath first = completed(turn(session, turnWith("what is in this picture?", "big.png", file)));
        assertTrue(first.getInt("metrics.completion_tokens") > 0);
        file = null;

        // the forwarded path: the next turn sends the stored file again, read from the database with the history
        completed(turn(session, "{\"content\":\"and in more detail?\"}".getBytes(StandardCharsets.UTF_8)));

        JsonPath stored = Clients.chat(platform, alice).get("/v1/chat/sessions/{id}", session).then().statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of("user", "assistant", "user", "assistant"), stored.getList("messages.role"));
        assertEquals(List.of("complete", "complete", "complete", "complete"), stored.getList("messages.status"));
        assertEquals(60 * MIB, stored.getInt("messages[0].attachments[0].size_bytes"));
        assertEquals(sha, stored.getString("messages[0].attachments[0].sha256"));
    }

    @Test
    void aSixtyMebibyteImageStraightToTheProxyIsAnswered() throws Exception {
        byte[] body = body("{\"model\":\"" + MODEL + "\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"what is this?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
                + "\"data:image/png;base64,", image(60 * MIB), "\"}}]}]}");
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(platform.proxyUrl()
                + "/v1/chat/completions")).timeout(Duration.ofMinutes(5)).header("Authorization", "Bearer " + alice)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("length", JsonPath.from(response.body()).getString("choices[0].finish_reason"));
    }

    @Test
    void exactlyTheCapIsAnsweredAndOneByteMoreIsRefusedWithNothingStored() throws Exception {
        String session = session();
        completed(turn(session, turnWith("the whole allowance", "cap.png", image(100 * MIB))));

        String other = session();
        HttpResponse<String> over = turn(other, turnWith("one byte too many", "over.png", image(100 * MIB + 1)));
        assertEquals(413, over.statusCode(), over.body());
        JsonPath error = JsonPath.from(over.body());
        assertEquals("attachments_too_large", error.getString("error.code"));
        assertTrue(error.getString("error.message").contains("104857600"), over.body());
        assertEquals(List.of(), Clients.chat(platform, alice).get("/v1/chat/sessions/{id}", other).then()
                .statusCode(200).extract().jsonPath().getList("messages"));
    }
}
