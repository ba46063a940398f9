package io.parley.proxy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.proxy.sse.ChunkInspector;
import io.parley.proxy.sse.SseEventSplitter;
import io.parley.proxy.translate.StreamTranslator;
import io.vertx.core.buffer.Buffer;

/** Golden fixture files under {@code src/test/resources/fixtures/} and a stream translation driven by them. */
final class GoldenFixtures {

    static final ObjectMapper JSON = new ObjectMapper();

    private GoldenFixtures() {
    }

    /** The values the golden fixtures give the proxy's server metrics (the upstream usage as RelayCall hands it on). */
    static final Map<String, String> FIXTURE_METRICS = Map.of("time_to_first_token", "0.25", "total_latency", "0.5",
            "completion_tokens_after_first_per_sec", "16.0");

    /**
     * A proxy answer with its measured server metrics replaced by the fixtures' values, after checking that each is there
     * exactly once with a number: what is left to compare with a golden fixture is deterministic.
     */
    static String withFixtureMetrics(String body) {
        String result = body;
        for (Map.Entry<String, String> metric : FIXTURE_METRICS.entrySet()) {
            Matcher m = Pattern.compile("\"" + metric.getKey() + "\":-?[0-9][0-9.eE+-]*").matcher(result);
            int found = 0;
            while (m.find()) {
                found++;
            }
            if (found != 1) {
                throw new AssertionError(metric.getKey() + " appears " + found + " times in " + body);
            }
            result = m.replaceAll(Matcher.quoteReplacement("\"" + metric.getKey() + "\":" + metric.getValue()));
        }
        return result;
    }

    static String fixture(String path) throws Exception {
        try (InputStream in = GoldenFixtures.class.getResourceAsStream("/fixtures/" + path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Feeds an upstream chat-completion SSE fixture to the translator in uneven pieces of {@code pieceSize} bytes, as a
     * network would deliver it, and answers everything the translator wrote, its end included.
     */
    static String translateStream(StreamTranslator translator, String upstreamFixture, int pieceSize) throws Exception {
        Buffer out = Buffer.buffer();
        ObjectNode[] usage = { null };
        byte[] input = fixture(upstreamFixture).getBytes(StandardCharsets.UTF_8);
        SseEventSplitter splitter = new SseEventSplitter();
        for (int i = 0; i < input.length; i += pieceSize) {
            splitter.feed(Buffer.buffer().appendBytes(input, i, Math.min(pieceSize, input.length - i)), event -> {
                String data = ChunkInspector.data(event);
                if (data == null || data.equals("[DONE]")) {
                    return;
                }
                try {
                    ObjectNode chunk = (ObjectNode) JSON.readTree(data);
                    if (chunk.get("usage") instanceof ObjectNode u) {
                        usage[0] = u;
                    }
                    out.appendBuffer(translator.chunk(chunk));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        out.appendBuffer(translator.end(usage[0]));
        return out.toString(StandardCharsets.UTF_8);
    }
}
