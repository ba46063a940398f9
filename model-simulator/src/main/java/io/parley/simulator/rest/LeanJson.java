package io.parley.simulator.rest;

import java.io.ByteArrayOutputStream;

/**
 * Drops the payload of every long base64 string from a request body before it is parsed: the simulator never looks at
 * an attachment's bytes (a non-text content part counts a fixed number of tokens), and Jackson would turn 133 MiB of
 * base64 (100 MiB of files) into several times that in char buffers and strings. A JSON string of at least
 * {@link #LONG} bytes whose content is base64 (after an optional {@code data:<type>;base64,} prefix, which is kept)
 * becomes the prefix alone; everything else is left exactly as it was. Scans the bytes once, without decoding.
 */
final class LeanJson {

    /** Strings shorter than this are kept whatever they hold. */
    static final int LONG = 64 * 1024;
    private static final byte[] BASE64_MARK = ";base64,".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private LeanJson() {
    }

    /** The body with long base64 payloads emptied; the same array when there is none. */
    static byte[] withoutPayloads(byte[] json) {
        byte[] out = withoutPayloads(json, 0, json.length);
        return out == null ? json : out;
    }

    /**
     * {@code json[from, to)} with long base64 payloads emptied, as a new array; null when there is none (the region
     * is then to be parsed as it is).
     */
    static byte[] withoutPayloads(byte[] json, int from, int to) {
        ByteArrayOutputStream out = null;
        int copied = from;
        int i = from;
        while (i < to) {
            if (json[i] != '"') {
                i++;
                continue;
            }
            int start = i + 1;
            int end = start;
            while (end < to && json[end] != '"') {
                end += json[end] == '\\' ? 2 : 1;
            }
            end = Math.min(end, to);
            if (end - start >= LONG) {
                int payload = payloadStart(json, start, end);
                if (isBase64(json, payload, end)) {
                    if (out == null) {
                        out = new ByteArrayOutputStream(Math.min(to - from, 1 << 20));
                    }
                    out.write(json, copied, payload - copied);
                    copied = end;
                }
            }
            i = end + 1;
        }
        if (out == null) {
            return null;
        }
        out.write(json, copied, to - copied);
        return out.toByteArray();
    }

    /** After {@code data:...;base64,} when the string starts with a data URL head, else the string's start. */
    private static int payloadStart(byte[] json, int start, int end) {
        if (end - start < 5 || json[start] != 'd' || json[start + 1] != 'a' || json[start + 2] != 't'
                || json[start + 3] != 'a' || json[start + 4] != ':') {
            return start;
        }
        int limit = Math.min(end - BASE64_MARK.length, start + 512);
        for (int p = start + 5; p <= limit; p++) {
            if (json[p] == ',') {
                return p - start >= BASE64_MARK.length - 1 && matches(json, p + 1 - BASE64_MARK.length) ? p + 1 : start;
            }
        }
        return start;
    }

    private static boolean matches(byte[] json, int at) {
        for (int k = 0; k < BASE64_MARK.length; k++) {
            if (json[at + k] != BASE64_MARK[k]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isBase64(byte[] json, int from, int to) {
        if (to - from < LONG / 2) {
            return false;
        }
        for (int p = from; p < to; p++) {
            byte b = json[p];
            if (!(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/'
                    || b == '=' || b == '-' || b == '_')) {
                return false;
            }
        }
        return true;
    }
}
