package io.parley.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.parley.e2e.platform.LocalPlatform;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;

/**
 * Issue 5: the view-code snippets of a session hold no secret, and the cURL one, run with bash against the local stack
 * with a real Parley API key in the environment variable it names, gets a streamed completion from the simulator.
 */
@ExtendWith(PlatformExtension.class)
class ViewCodeIT {

    static LocalPlatform platform;
    static String alice;

    @BeforeAll
    static void logIn(LocalPlatform started) {
        platform = started;
        alice = Clients.token(platform, "alice");
        Clients.awaitRunning(platform, alice, ChatTurnIT.MODEL);
    }

    @Test
    void snippetsHoldNoSecretAndTheCurlOneRunWithARealApiKeyStreamsACompletion() throws Exception {
        String session = Clients.chat(platform, alice).body(Map.of("model", ChatTurnIT.MODEL))
                .post("/v1/chat/sessions").then().statusCode(201).extract().path("id");
        SseEvent.Response turn = SseEvent.post(platform.chatUrl() + "/v1/chat/sessions/" + session + "/turns", alice,
                "{\"content\":\"Name three colours.\"}");
        assertEquals("message_end", turn.names().get(turn.names().size() - 1), turn.body());

        // a real Parley API key, created through the proxy as a user would
        JsonPath created = given().baseUri(platform.proxyUrl()).auth().oauth2(alice).contentType(ContentType.JSON)
                .body(Map.of("name", "view-code-it")).post("/v1/keys")
                .then().statusCode(201).extract().jsonPath();
        String apiKey = created.getString("key");
        assertTrue(apiKey != null && apiKey.startsWith("prl_"), created.prettify());

        for (String lang : List.of("python", "javascript", "curl")) {
            String snippet = snippet(session, lang);
            assertFalse(snippet.contains(alice), lang + " snippet holds the user's access token");
            assertFalse(snippet.contains("eyJ"), lang + " snippet holds a JWT:\n" + snippet);
            assertFalse(snippet.contains("prl_"), lang + " snippet holds a Parley API key:\n" + snippet);
            assertFalse(snippet.contains(apiKey), lang + " snippet holds the API key");
            assertFalse(snippet.contains(LocalPlatform.WEB_CLIENT_SECRET), lang + " snippet holds a client secret");
            assertFalse(snippet.contains(LocalPlatform.PROXY_CLIENT_SECRET), lang + " snippet holds a client secret");
            assertTrue(snippet.contains("PARLEY_API_KEY"), lang + " snippet names the key's variable:\n" + snippet);
        }

        String curl = snippet(session, "curl");
        assertTrue(curl.contains("$PARLEY_API_KEY"), curl);
        assertTrue(curl.contains(platform.proxyUrl() + "/v1/chat/completions"), "snippet calls the proxy:\n" + curl);

        Run run = bash(curl, Map.of("PARLEY_API_KEY", apiKey));

        assertEquals(0, run.exit(), run.toString());
        List<String> data = run.stdout().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6).trim())
                .collect(Collectors.toList());
        assertFalse(data.isEmpty(), "no SSE data lines: " + run);
        assertEquals("[DONE]", data.get(data.size() - 1), run.toString());
        String text = data.stream().filter(d -> d.startsWith("{")).map(JsonPath::from)
                .filter(j -> j.getList("choices") != null && !j.getList("choices").isEmpty())
                .map(j -> j.getString("choices[0].delta.content"))
                .filter(c -> c != null).collect(Collectors.joining());
        assertFalse(text.isBlank(), "the completion streamed no text: " + run);
        assertTrue(data.stream().filter(d -> d.startsWith("{")).map(JsonPath::from)
                .anyMatch(j -> j.get("usage") != null && j.getInt("usage.completion_tokens") > 0),
                "no usage chunk (stream_options.include_usage): " + run);
        assertFalse(run.stdout().contains("\"error\""), run.toString());
    }

    private static String snippet(String session, String lang) {
        return Clients.chat(platform, alice).accept("text/plain, */*")
                .get("/v1/chat/sessions/{id}/code?lang=" + lang, session)
                .then().statusCode(200).extract().asString();
    }

    record Run(int exit, String stdout, String stderr) {
    }

    /** Runs a script with bash as a user would paste it, with the given environment; at most 60 seconds. */
    private static Run bash(String script, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script);
        builder.environment().putAll(env);
        // the stack is on loopback: a proxy configured for this machine must not get in the way
        builder.environment().put("NO_PROXY", "127.0.0.1,localhost");
        builder.environment().put("no_proxy", "127.0.0.1,localhost");
        Process process = builder.start();
        process.getOutputStream().close();
        var out = process.getInputStream();
        var err = process.getErrorStream();
        var stdout = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(out));
        var stderr = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(err));
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the cURL snippet did not finish in 60 s: " + stdout.getNow(""));
        }
        return new Run(process.exitValue(), stdout.join(), stderr.join());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
