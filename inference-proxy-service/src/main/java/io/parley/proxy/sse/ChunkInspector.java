package io.parley.proxy.sse;

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
        byte[] bytes = event.getBytes();
        return inspect(bytes, 0, bytes.length);
    }

    /**
     * The flags of the event in {@code b[from, to)}, in one pass: at each quote, the keys of interest are compared and
     * the value after their colon looked at.
     */
    public static int inspect(byte[] b, int from, int to) {
        int flags = 0;
        boolean done = false;
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c == '"') {
                flags |= keyAt(b, i, to);
            } else if (c == '[' && !done && matches(b, i, to, DONE_MARK)) {
                done = true;
            }
        }
        return flags == 0 && done ? DONE : flags;
    }

    /** The flag the key starting at {@code b[i]} (a quote) contributes, or 0. */
    private static int keyAt(byte[] b, int i, int to) {
        if (i + 1 >= to) {
            return 0;
        }
        byte[] key;
        int flag;
        switch (b[i + 1]) {
            case 'c' -> {
                key = K_CONTENT;
                flag = CONTENT;
            }
            case 't' -> {
                key = i + 2 < to && b[i + 2] == 'o' ? K_TOOL_CALLS : K_TEXT;
                flag = CONTENT;
            }
            case 'r' -> {
                key = K_REASONING;
                flag = CONTENT;
            }
            case 'u' -> {
                key = K_USAGE;
                flag = USAGE;
            }
            case 'e' -> {
                key = K_ERROR;
                flag = ERROR;
            }
            default -> {
                return 0;
            }
        }
        if (!matches(b, i, to, key)) {
            return 0;
        }
        int j = skipWs(b, i + key.length, to);
        if (j >= to || b[j] != ':') {
            return 0;
        }
        int v = skipWs(b, j + 1, to);
        if (v >= to) {
            return 0;
        }
        if (flag == USAGE || flag == ERROR) {
            return b[v] == '{' ? flag : 0;
        }
        if (key == K_TOOL_CALLS) {
            if (b[v] != '[') {
                return 0;
            }
            int n = skipWs(b, v + 1, to);
            return n < to && b[n] != ']' ? CONTENT : 0;
        }
        return b[v] == '"' && v + 1 < to && b[v + 1] != '"' ? CONTENT : 0;
    }

    private static boolean matches(byte[] b, int at, int to, byte[] pattern) {
        if (at + pattern.length > to) {
            return false;
        }
        for (int k = 0; k < pattern.length; k++) {
            if (b[at + k] != pattern[k]) {
                return false;
            }
        }
        return true;
    }

    private static int skipWs(byte[] b, int i, int to) {
        while (i < to) {
            byte c = b[i];
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                break;
            }
            i++;
        }
        return i;
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

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
