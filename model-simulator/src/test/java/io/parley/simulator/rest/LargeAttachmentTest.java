package io.parley.simulator.rest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;

/**
 * Attachments of the documented size (100 MiB of files per turn) reach the simulator as one base64 JSON string each;
 * a single 16 MiB image used to answer 400 (Jackson's 20 million character limit), and 100 MiB did not fit the body
 * cap. The payloads are dropped before parsing ({@link LeanJson}), so the token count is that of any image part.
 */
@QuarkusTest
class LargeAttachmentTest {

    /** A chat request with one image, built in one array (the test JVM also runs the simulator). */
    static byte[] chatWithImage(int imageBytes) {
        byte[] image = new byte[imageBytes];
        new Random(7).nextBytes(image);
        byte[] encoded = Base64.getEncoder().encode(image);
        image = null;
        byte[] head = ("{\"model\":\"fast-sim\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"what is this?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
                + "\"data:image/png;base64,").getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\"}}]}]}".getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[head.length + encoded.length + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(encoded, 0, body, head.length, encoded.length);
        System.arraycopy(tail, 0, body, head.length + encoded.length, tail.length);
        return body;
    }

    static JsonPath post(byte[] body) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:"
                + RestAssured.port + "/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JsonPath.from(r.body());
    }

    @Test
    void aSixtyMebibyteImageIsAnsweredAndCountedLikeASmallOne() throws Exception {
        int small = post(chatWithImage(300)).getInt("usage.prompt_tokens");
        assertEquals(small, post(chatWithImage(60 * 1024 * 1024)).getInt("usage.prompt_tokens"));
    }

    @Test
    void oneHundredMebibytesOfFilesFitTheBodyCap() throws Exception {
        JsonPath answer = post(chatWithImage(100 * 1024 * 1024));
        assertEquals("length", answer.getString("choices[0].finish_reason"));
    }

    @Test
    void onlyLongBase64PayloadsAreDropped() {
        String longBase64 = "QUJD".repeat(LeanJson.LONG);
        String longText = "a b ".repeat(LeanJson.LONG);
        byte[] body = ("{\"a\":\"data:image/png;base64," + longBase64 + "\",\"b\":\"" + longBase64 + "\",\"c\":\""
                + longText + "\",\"d\":\"QUJD\"}").getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(("{\"a\":\"data:image/png;base64,\",\"b\":\"\",\"c\":\"" + longText + "\",\"d\":\"QUJD\"}")
                .getBytes(StandardCharsets.US_ASCII), LeanJson.withoutPayloads(body));
        byte[] plain = "{\"messages\":[{\"content\":\"hi \\\"there\\\"\"}]}".getBytes(StandardCharsets.US_ASCII);
        assertSame(plain, LeanJson.withoutPayloads(plain));
    }
}
