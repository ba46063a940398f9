package io.parley.proxy.service;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a request's text may not hold, checked at the edge before anything is relayed, stored or billed:
 * <ul>
 * <li>bytes that are not strict UTF-8 (RFC 3629): invalid or truncated sequences, overlong encodings such as
 * {@code C0 80} (an overlong NUL, which Jackson would decode to U+0000), UTF-16 surrogates and code points above
 * U+10FFFF;</li>
 * <li>U+0000 anywhere in a string or a field name (PostgreSQL's {@code jsonb} and {@code text} cannot store it, so a
 * call carrying one in its metadata could be served and never billed).</li>
 * </ul>
 * A finding names the JSON path of the offending value (OpenAI's {@code param}, e.g. {@code messages[0].content}).
 */
public final class TextHygiene {

    /** The first problem found: the path of the value ({@code null} for the body as a whole) and what is wrong. */
    public record Finding(String path, String reason) {
    }

    private static final JsonFactory FACTORY = new JsonFactory();

    private TextHygiene() {
    }

    /** Offset of the first byte that does not belong to a well-formed UTF-8 sequence, or -1 if all are well formed. */
    public static int firstMalformedUtf8(byte[] b) {
        int i = 0;
        int n = b.length;
        while (i < n) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                i++;
                continue;
            }
            int start = i;
            int more;
            int lo = 0x80;
            int hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                more = 1;
            } else if (c == 0xE0) {
                more = 2;
                lo = 0xA0; // below: overlong
            } else if (c == 0xED) {
                more = 2;
                hi = 0x9F; // above: UTF-16 surrogates
            } else if (c >= 0xE1 && c <= 0xEF) {
                more = 2;
            } else if (c == 0xF0) {
                more = 3;
                lo = 0x90; // below: overlong
            } else if (c >= 0xF1 && c <= 0xF3) {
                more = 3;
            } else if (c == 0xF4) {
                more = 3;
                hi = 0x8F; // above: beyond U+10FFFF
            } else {
                return start; // a continuation byte without a lead, C0/C1 (always overlong) or F5..FF
            }
            if (i + more >= n) {
                return start; // truncated at the end
            }
            int second = b[i + 1] & 0xFF;
            if (second < lo || second > hi) {
                return start;
            }
            for (int k = 2; k <= more; k++) {
                int cont = b[i + k] & 0xFF;
                if (cont < 0x80 || cont > 0xBF) {
                    return start;
                }
            }
            i += more + 1;
        }
        return -1;
    }

    /**
     * Checks a JSON body's bytes: strict UTF-8 first (naming the value that holds the first bad byte when the body is
     * still JSON around it), then U+0000 in the parsed tree. {@code tree} is the body as parsed, or {@code null} to skip
     * that part.
     */
    public static Finding check(byte[] body, JsonNode tree) {
        int bad = firstMalformedUtf8(body);
        if (bad >= 0) {
            return new Finding(pathAt(body, bad), "is not valid UTF-8 (an invalid, overlong or truncated byte sequence at"
                    + " byte " + bad + " of the body)");
        }
        return tree == null ? null : firstNul(tree, "");
    }

    /** The path of the first string value or field name holding U+0000, with its reason; {@code null} if none. */
    public static Finding firstNul(JsonNode node, String prefix) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue().indexOf('\0') >= 0 ? nul(prefix) : null;
        }
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                String path = prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey();
                if (f.getKey().indexOf('\0') >= 0) {
                    return new Finding(printable(path), "has a field name holding a NUL character (U+0000)");
                }
                Finding inner = firstNul(f.getValue(), path);
                if (inner != null) {
                    return inner;
                }
            }
            return null;
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                Finding inner = firstNul(node.get(i), prefix + "[" + i + "]");
                if (inner != null) {
                    return inner;
                }
            }
        }
        return null;
    }

    private static Finding nul(String path) {
        return new Finding(path.isEmpty() ? null : path, "holds a NUL character (U+0000), which Parley does not accept");
    }

    private static String printable(String path) {
        return path.replace("\0", "\\u0000");
    }

    /**
     * The path of the JSON value whose bytes include {@code offset}, found by streaming the body's tokens (Jackson reads
     * the bytes leniently, so a body with an overlong sequence still tokenizes); {@code null} when it cannot be told.
     */
    static String pathAt(byte[] body, int offset) {
        String last = null;
        try (JsonParser p = FACTORY.createParser(body)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (p.currentTokenLocation().getByteOffset() > offset) {
                    break;
                }
                if (t.isScalarValue() || t == JsonToken.FIELD_NAME) {
                    last = path(p.getParsingContext());
                }
            }
        } catch (IOException | RuntimeException e) {
            // the bad bytes stopped the tokenizer inside the value that follows the last one seen
            return last;
        }
        return last;
    }

    /** The dotted path of a parser context: {@code messages[0].content}; {@code null} at the root. */
    static String path(JsonStreamContext context) {
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
            } else if (c.getCurrentName() != null) {
                parts.push("." + printable(c.getCurrentName()));
            }
        }
        String joined = String.join("", parts);
        return joined.isEmpty() ? null : joined.startsWith(".") ? joined.substring(1) : joined;
    }
}
