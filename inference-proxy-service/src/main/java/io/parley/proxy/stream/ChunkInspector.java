package io.parley.proxy.stream;

import java.nio.charset.StandardCharsets;

import io.vertx.core.buffer.Buffer;

/**
 * Looks at the raw bytes of one SSE event for the few facts the proxy needs, without parsing the JSON: does it carry a
 * content delta, a usage object, an error, or {@code [DONE]}. Safe on raw JSON text because a quote inside a JSON string
 * is always escaped, so {@code "key":} only matches real keys.
 */
public final class ChunkInspector {

    public static final int CONTENT = 1;
    public static final int USAGE = 2;
    public static final int ERROR = 4;
    public static final int DONE = 8;

    private static final byte[] K_CONTENT = bytes("\"content\"");
    private static final byte[] K_TEXT = bytes("\"text\"");
    private static final byte[] K_REASONING = bytes("\"reasoning_content\"");
    private static final byte[] K_TOOL_CALLS = bytes("\"tool_calls\"");
    private static final byte[] K_USAGE = bytes("\"usage\"");
    private static final byte[] K_ERROR = bytes("\"error\"");
    private static final byte[] DONE_MARK = bytes("[DONE]");

    private ChunkInspector() {
    }

    public static int inspect(Buffer event) {
        int flags = 0;
        if (valueStartsWith(event, K_USAGE, '{')) {
            flags |= USAGE;
        }
        if (nonEmptyString(event, K_CONTENT) || nonEmptyString(event, K_TEXT) || nonEmptyString(event, K_REASONING)
                || nonEmptyArray(event, K_TOOL_CALLS)) {
            flags |= CONTENT;
        }
        if (valueStartsWith(event, K_ERROR, '{')) {
            flags |= ERROR;
        }
        if (flags == 0 && indexOf(event, DONE_MARK, 0) >= 0) {
            flags |= DONE;
        }
        return flags;
    }

    /** The JSON of the event's {@code data:} lines (joined as SSE specifies), or null when it has none. */
    public static String data(Buffer event) {
        String text = event.toString(StandardCharsets.UTF_8);
        StringBuilder data = null;
        for (String line : text.split("\r?\n")) {
            if (line.startsWith("data:")) {
                String value = line.substring(5);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
        }
        return data == null ? null : data.toString();
    }

    private static boolean valueStartsWith(Buffer b, byte[] key, char expected) {
        int from = 0;
        while (true) {
            int v = valueIndex(b, key, from);
            if (v < 0) {
                return false;
            }
            if (b.getByte(v) == expected) {
                return true;
            }
            from = v;
        }
    }

    private static boolean nonEmptyString(Buffer b, byte[] key) {
        int from = 0;
        while (true) {
            int v = valueIndex(b, key, from);
            if (v < 0) {
                return false;
            }
            if (b.getByte(v) == '"' && v + 1 < b.length() && b.getByte(v + 1) != '"') {
                return true;
            }
            from = v;
        }
    }

    private static boolean nonEmptyArray(Buffer b, byte[] key) {
        int from = 0;
        while (true) {
            int v = valueIndex(b, key, from);
            if (v < 0) {
                return false;
            }
            if (b.getByte(v) == '[') {
                int n = skipWs(b, v + 1);
                if (n < b.length() && b.getByte(n) != ']') {
                    return true;
                }
            }
            from = v;
        }
    }

    /** Index of the first byte of the value following {@code key:}, or -1. */
    private static int valueIndex(Buffer b, byte[] key, int from) {
        int i = from;
        while (true) {
            int k = indexOf(b, key, i);
            if (k < 0) {
                return -1;
            }
            int j = skipWs(b, k + key.length);
            if (j < b.length() && b.getByte(j) == ':') {
                int v = skipWs(b, j + 1);
                return v < b.length() ? v : -1;
            }
            i = k + 1;
        }
    }

    private static int skipWs(Buffer b, int i) {
        while (i < b.length()) {
            byte c = b.getByte(i);
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                break;
            }
            i++;
        }
        return i;
    }

    static int indexOf(Buffer b, byte[] pattern, int from) {
        int last = b.length() - pattern.length;
        outer: for (int i = from; i <= last; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (b.getByte(i + j) != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
