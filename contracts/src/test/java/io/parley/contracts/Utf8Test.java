package io.parley.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class Utf8Test {

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    /** The forms issue 15 names, and the edges of RFC 3629's table of well-formed sequences. */
    @Test
    void theOverlongInvalidAndSurrogateFormsAreFoundAtTheirLeadByte() {
        assertEquals(1, Utf8.firstMalformed(bytes('a', 0xC0, 0xAF))); // overlong "/"
        assertEquals(1, Utf8.firstMalformed(bytes('a', 0xC1, 0x81))); // overlong "A"
        assertEquals(0, Utf8.firstMalformed(bytes(0xC0, 0x80))); // overlong NUL
        assertEquals(2, Utf8.firstMalformed(bytes('a', 'b', 0xE0, 0x80, 0xAF))); // overlong three-byte "/"
        assertEquals(0, Utf8.firstMalformed(bytes(0xED, 0xA0, 0x80))); // lone surrogate U+D800
        assertEquals(0, Utf8.firstMalformed(bytes(0xF8, 0x88, 0x80, 0x80, 0x80))); // five-byte form
        assertEquals(0, Utf8.firstMalformed(bytes(0xF0, 0x80, 0x80, 0xAF))); // overlong four-byte
        assertEquals(0, Utf8.firstMalformed(bytes(0xF4, 0x90, 0x80, 0x80))); // above U+10FFFF
        assertEquals(0, Utf8.firstMalformed(bytes(0xFF)));
        assertEquals(1, Utf8.firstMalformed(bytes('a', 0x80))); // continuation without a lead
        assertEquals(1, Utf8.firstMalformed(bytes('a', 0xE2, 0x82))); // cut short by the end
        assertEquals(1, Utf8.firstMalformed(bytes('a', 0xE2, 0x82, 'b'))); // cut short by the next byte
        assertEquals(-1, Utf8.firstMalformed("é € 𝄞 \uFFFF \uD7FF \uE000 \uDBFF\uDFFF".getBytes(StandardCharsets.UTF_8)));
        assertEquals(4, Utf8.firstMalformed(bytes(0xC1, 0x81, 'a', 'b', 0xC0, 0x80), 2));
    }

    /** A sequence split between two reads is judged whole, and offsets count from the start of the body. */
    @Test
    void aCheckerJudgesASequenceSplitBetweenReads() {
        byte[] euro = "x€".getBytes(StandardCharsets.UTF_8); // 78 E2 82 AC
        Utf8.Checker ok = new Utf8.Checker();
        assertEquals(-1, ok.feed(euro, 0, 2));
        assertEquals(-1, ok.feed(euro, 2, 2));
        assertEquals(-1, ok.finish());
        Utf8.Checker cut = new Utf8.Checker();
        assertEquals(-1, cut.feed(euro, 0, 3));
        assertEquals(1, cut.finish());
        Utf8.Checker overlong = new Utf8.Checker();
        byte[] e0 = bytes('a', 'b', 0xE0, 0x80, 0xAF);
        assertEquals(-1, overlong.feed(e0, 0, 3));
        assertEquals(2, overlong.feed(e0, 3, 2));
    }

    /**
     * Against the JDK's own UTF-8 decoder (strict since Java 8: it reports overlong forms, surrogates and code points
     * above U+10FFFF as malformed): every one- and two-byte input, every three-byte input from a byte C0..FF with every
     * second byte and the edges of the ranges as third, and the four-byte inputs from F0..F4 over those edges, is well
     * formed for one exactly when it is for the other.
     */
    @Test
    void agreesWithTheJdkDecoderOnEveryShortInput() {
        CharsetDecoder jdk = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        int[] edges = { 0x00, 0x41, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF4, 0xFF };
        byte[] one = new byte[1];
        byte[] two = new byte[2];
        byte[] three = new byte[3];
        for (int a = 0; a < 256; a++) {
            one[0] = (byte) a;
            assertEquals(jdkAccepts(jdk, one), Utf8.firstMalformed(one) < 0, () -> hex(one));
            for (int b = 0; b < 256; b++) {
                two[0] = (byte) a;
                two[1] = (byte) b;
                assertEquals(jdkAccepts(jdk, two), Utf8.firstMalformed(two) < 0, () -> hex(two));
                if (a < 0xC0) {
                    continue; // a three-byte input starting with ASCII or a stray continuation is its two-byte tail's case
                }
                for (int c : edges) {
                    three[0] = (byte) a;
                    three[1] = (byte) b;
                    three[2] = (byte) c;
                    assertEquals(jdkAccepts(jdk, three), Utf8.firstMalformed(three) < 0, () -> hex(three));
                }
            }
        }
        byte[] four = new byte[4];
        for (int a = 0xF0; a <= 0xF4; a++) {
            for (int b : edges) {
                for (int c : edges) {
                    for (int d : edges) {
                        four[0] = (byte) a;
                        four[1] = (byte) b;
                        four[2] = (byte) c;
                        four[3] = (byte) d;
                        assertEquals(jdkAccepts(jdk, four), Utf8.firstMalformed(four) < 0, () -> hex(four));
                    }
                }
            }
        }
    }

    private static boolean jdkAccepts(CharsetDecoder jdk, byte[] b) {
        try {
            jdk.reset().decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static String hex(byte[] b) {
        StringBuilder out = new StringBuilder();
        for (byte x : b) {
            out.append(String.format("%02X ", x & 0xFF));
        }
        return out.toString().trim();
    }
}
