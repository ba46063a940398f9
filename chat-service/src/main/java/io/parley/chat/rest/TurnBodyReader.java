package io.parley.chat.rest;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.chat.config.ChatConfig;
import io.parley.chat.service.TurnInputValidator;
import io.parley.chat.service.TurnRequest;

/**
 * Reads a turn body without turning its attachments into text: every {@code "data_url": "data:...;base64,<payload>"}
 * is decoded straight from the body's bytes and its payload replaced by {@code #<index>} before the (now small) JSON
 * is parsed, so a turn near the attachment limit holds the body and the decoded bytes, not also Jackson's text buffers
 * and strings of the base64 (several times its size). A payload that is not plain base64 is left as it is (the
 * validator then answers 400). Decoded sizes over {@code parley.chat.attachments.max-bytes} answer 413 before any
 * decoding.
 */
@ApplicationScoped
public class TurnBodyReader {

    private static final byte[] DATA = "\"data:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BASE64 = ";base64,".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY = "\"data_url\"".getBytes(StandardCharsets.US_ASCII);

    /** The parsed request and the attachment payloads its {@code #<index>} data URLs stand for. */
    public record TurnBody(TurnRequest request, List<byte[]> payloads) {
    }

    private record Span(int start, int end) {
    }

    private final ObjectMapper mapper;
    private final ChatConfig config;

    public TurnBodyReader(ObjectMapper mapper, ChatConfig config) {
        this.mapper = mapper;
        this.config = config;
    }

    public TurnBody read(byte[] body) throws java.io.IOException {
        if (body == null || body.length == 0) {
            return new TurnBody(null, List.of());
        }
        List<Span> spans = spans(body);
        if (spans.isEmpty()) {
            return new TurnBody(mapper.readValue(body, TurnRequest.class), List.of());
        }
        long max = config.chat().attachments().maxBytes().asLongValue();
        long total = 0;
        for (Span s : spans) {
            int len = s.end() - s.start();
            int padding = len > 0 && body[s.end() - 1] == '=' ? (len > 1 && body[s.end() - 2] == '=' ? 2 : 1) : 0;
            total += (long) len / 4 * 3 + (len % 4 == 0 ? 0 : Math.max(0, len % 4 - 1)) - padding;
        }
        if (total > max) {
            throw TurnInputValidator.tooLarge(max);
        }
        List<byte[]> payloads = new ArrayList<>();
        ByteArrayOutputStream json = new ByteArrayOutputStream(body.length - spans.stream()
                .mapToInt(s -> s.end() - s.start()).sum() + spans.size() * 8);
        int from = 0;
        for (Span s : spans) {
            byte[] decoded;
            try {
                ByteBuffer out = java.util.Base64.getDecoder().decode(ByteBuffer.wrap(body, s.start(), s.end() - s.start()));
                decoded = out.remaining() == out.array().length ? out.array()
                        : Arrays.copyOfRange(out.array(), out.arrayOffset() + out.position(), out.limit());
            } catch (IllegalArgumentException e) {
                continue; // not valid base64: left in place for the validator to refuse
            }
            json.write(body, from, s.start() - from);
            json.writeBytes(("#" + payloads.size()).getBytes(StandardCharsets.US_ASCII));
            payloads.add(decoded);
            from = s.end();
        }
        json.write(body, from, body.length - from);
        return new TurnBody(mapper.readValue(json.toByteArray(), TurnRequest.class), payloads);
    }

    /** The base64 payloads of {@code "data_url": "data:<type>;base64,<payload>"} values, in order. */
    private static List<Span> spans(byte[] b) {
        List<Span> out = new ArrayList<>();
        for (int i = indexOf(b, DATA, 0); i >= 0; i = indexOf(b, DATA, i + 1)) {
            if (!isDataUrlValue(b, i)) {
                continue;
            }
            int head = indexOf(b, BASE64, i);
            int quote = indexOfByte(b, (byte) '"', i + 1);
            if (head < 0 || quote < 0 || head > quote) {
                continue;
            }
            int start = head + BASE64.length;
            int end = start;
            while (end < b.length && isBase64(b[end])) {
                end++;
            }
            if (end < b.length && b[end] == '"') {
                out.add(new Span(start, end));
                i = end;
            }
        }
        return out;
    }

    /** Whether the string starting at {@code quote} is the value of a {@code "data_url"} key. */
    private static boolean isDataUrlValue(byte[] b, int quote) {
        int j = quote - 1;
        while (j >= 0 && isSpace(b[j])) {
            j--;
        }
        if (j < 0 || b[j] != ':') {
            return false;
        }
        j--;
        while (j >= 0 && isSpace(b[j])) {
            j--;
        }
        int keyStart = j - KEY.length + 1;
        return keyStart >= 0 && Arrays.equals(b, keyStart, j + 1, KEY, 0, KEY.length);
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private static boolean isBase64(byte c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'
                || c == '=';
    }

    private static int indexOfByte(byte[] b, byte c, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] b, byte[] needle, int from) {
        outer: for (int i = Math.max(0, from); i <= b.length - needle.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (b[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
