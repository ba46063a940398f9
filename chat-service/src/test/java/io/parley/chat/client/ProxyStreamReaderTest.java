package io.parley.chat.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.vertx.core.buffer.Buffer;

/**
 * chat-service's readers of the proxy's three stream formats fed the proxy's golden fixtures (copied under
 * {@code src/test/resources/proxy-golden/}, sources named in its README): the same listener calls whatever the endpoint,
 * whole or split in uneven pieces as a network delivers them. The error events are written the way the proxy writes an
 * error ending a started stream: {@code RelayCall.errorEvent} ({@code data: } + {@code ApiError.toJson()}) for chat
 * completions, {@code OpenAiToResponsesTranslator.error} and {@code OpenAiToAnthropicTranslator.error} for the others.
 */
class ProxyStreamReaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The golden answer's content deltas, in order. */
    private static final List<String> GOLDEN_DELTAS = List.of("delta:Hello", "delta: there", "delta:,", "delta: friend",
            "delta:!");

    /** Records the listener calls in order. */
    private static final class Recorder implements ProxyStreamListener {
        final List<String> calls = new ArrayList<>();
        JsonNode usage;

        @Override
        public void onDelta(String content) {
            calls.add("delta:" + content);
        }

        @Override
        public void onUsage(JsonNode usage) {
            this.usage = usage;
            calls.add("usage");
        }

        @Override
        public void onComplete() {
            calls.add("complete");
        }

        @Override
        public void onError(String code, String message) {
            calls.add("error:" + code + ":" + message);
        }
    }

    private static String fixture(String name) throws Exception {
        try (InputStream in = ProxyStreamReaderTest.class.getResourceAsStream("/proxy-golden/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static EndpointMode modeOf(String fixture) {
        return fixture.startsWith("chat") ? EndpointMode.CHAT_COMPLETIONS
                : fixture.startsWith("responses") ? EndpointMode.RESPONSES : EndpointMode.MESSAGES;
    }

    /** Feeds the body in pieces of {@code pieceSize} bytes (0: whole), then ends it. */
    private static Recorder read(EndpointMode mode, String body, int pieceSize) {
        Recorder recorder = new Recorder();
        ProxyStreamReader reader = new ProxyStreamReader(mode, JSON, recorder);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        int step = pieceSize == 0 ? Math.max(bytes.length, 1) : pieceSize;
        for (int i = 0; i < bytes.length; i += step) {
            reader.feed(Buffer.buffer().appendBytes(bytes, i, Math.min(step, bytes.length - i)));
        }
        reader.end();
        return recorder;
    }

    private static List<String> golden(String... end) {
        List<String> expected = new ArrayList<>(GOLDEN_DELTAS);
        expected.addAll(List.of(end));
        return expected;
    }

    @ParameterizedTest
    @CsvSource({ "chat-stream.sse,0", "chat-stream.sse,7", "chat-stream.sse,1", "responses-stream.sse,0",
            "responses-stream.sse,13", "responses-stream.sse,1", "messages-stream.sse,0", "messages-stream.sse,5",
            "messages-stream.sse,1" })
    void goldenStreamGivesItsDeltasThenUsageThenOneEnd(String fixture, int pieceSize) throws Exception {
        Recorder r = read(modeOf(fixture), fixture(fixture), pieceSize);

        assertEquals(golden("usage", "complete"), r.calls);
        // the tokens under OpenAI's names whatever the endpoint, and the proxy's server metrics as it sent them
        assertEquals(7, r.usage.path("prompt_tokens").asInt(), r.usage.toString());
        assertEquals(5, r.usage.path("completion_tokens").asInt(), r.usage.toString());
        assertEquals(12, r.usage.path("total_tokens").asInt(), r.usage.toString());
        assertEquals(0.25, r.usage.path("time_to_first_token").asDouble(), r.usage.toString());
        assertEquals(0.5, r.usage.path("total_latency").asDouble(), r.usage.toString());
        assertEquals(16.0, r.usage.path("completion_tokens_after_first_per_sec").asDouble(), r.usage.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = { "responses-stream.sse", "messages-stream.sse" })
    void nativeTokenNamesAreKeptBesideOpenAisAndMessageStartsZerosDoNotWin(String fixture) throws Exception {
        Recorder r = read(modeOf(fixture), fixture(fixture), 0);

        assertEquals(7, r.usage.path("input_tokens").asInt(), r.usage.toString());
        assertEquals(5, r.usage.path("output_tokens").asInt(), r.usage.toString());
    }

    @ParameterizedTest
    @CsvSource({
            "chat-stream.sse,'data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"sim-chat\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}'",
            "responses-stream.sse,'event: response.output_text.done'",
            "messages-stream.sse,'event: content_block_stop'" })
    void errorEventEndingAStartedStreamKeepsTheDeltasAndEndsWithTheProxysCode(String fixture, String cutBefore)
            throws Exception {
        String body = fixture(fixture);
        String started = body.substring(0, body.indexOf(cutBefore));
        String error = switch (modeOf(fixture)) {
            case CHAT_COMPLETIONS, COMPLETIONS -> "data: {\"error\":{\"message\":\"the model server went away\","
                    + "\"type\":\"upstream_error\",\"param\":null,\"code\":\"upstream_disconnected\"}}\n\n";
            case RESPONSES -> "event: error\ndata: {\"code\":\"upstream_disconnected\","
                    + "\"message\":\"the model server went away\",\"param\":null}\n\n";
            case MESSAGES -> "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                    + "\"message\":\"the model server went away\"}}\n\n";
        };
        String code = modeOf(fixture) == EndpointMode.MESSAGES ? "api_error" : "upstream_disconnected";

        Recorder r = read(modeOf(fixture), started + error, 3);

        assertEquals(golden("error:" + code + ":the model server went away"), r.calls);
    }

    @ParameterizedTest
    @CsvSource({ "chat-stream.sse,'data: [DONE]'", "responses-stream.sse,'event: response.completed'",
            "messages-stream.sse,'event: message_stop'" })
    void streamCutBeforeItsLastEventEndsAsAnErrorWithTheDeltasKept(String fixture, String cutBefore)
            throws Exception {
        String body = fixture(fixture);

        Recorder r = read(modeOf(fixture), body.substring(0, body.indexOf(cutBefore)), 0);

        List<String> calls = new ArrayList<>(r.calls);
        calls.remove("usage"); // chat completions' usage chunk comes before [DONE]
        assertEquals(golden("error:upstream_error:stream ended before completion"), calls);
    }

    @ParameterizedTest
    @ValueSource(strings = { "chat-stream.sse", "responses-stream.sse", "messages-stream.sse" })
    void nothingAfterTheEndReachesTheListener(String fixture) throws Exception {
        String body = fixture(fixture);

        Recorder r = read(modeOf(fixture), body + body, 0);

        assertEquals(golden("usage", "complete"), r.calls);
    }

    @ParameterizedTest
    @CsvSource({ "chat-stream.sse,openai/chat-stream.sse", "responses-stream.sse,responses/responses-stream.sse",
            "messages-stream.sse,anthropic/messages-stream.sse" })
    void copiesMatchTheProxysFixtures(String copy, String source) throws Exception {
        Path original = Path.of("../inference-proxy-service/src/test/resources/fixtures", source);
        assumeTrue(Files.exists(original), "the proxy module is not next to chat-service");
        assertEquals(Files.readString(original), fixture(copy), "proxy-golden/" + copy + " differs from " + original);
    }
}
