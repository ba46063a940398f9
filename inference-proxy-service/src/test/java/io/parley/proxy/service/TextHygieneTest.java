package io.parley.proxy.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.ObjectMapper;

class TextHygieneTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = { "plain ascii", "é ü ß", "€ and 中文", "𝄞 (U+1D11E) and 😀", "" })
    void wellFormedUtf8Passes(String text) {
        assertEquals(-1, TextHygiene.firstMalformedUtf8(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void everyKindOfMalformedSequenceIsFoundAtItsFirstByte() {
        // RFC 3629 section 3/10: overlong forms, surrogates, beyond U+10FFFF, stray continuation, truncation
        assertEquals(2, TextHygiene.firstMalformedUtf8(bytes("ab", 0xC0, 0x80))); // overlong NUL
        assertEquals(0, TextHygiene.firstMalformedUtf8(bytes("", 0xC1, 0xBF))); // overlong U+007F
        assertEquals(1, TextHygiene.firstMalformedUtf8(bytes("a", 0xE0, 0x80, 0x80))); // overlong 3-byte NUL
        assertEquals(0, TextHygiene.firstMalformedUtf8(bytes("", 0xF0, 0x80, 0x80, 0x80))); // overlong 4-byte
        assertEquals(0, TextHygiene.firstMalformedUtf8(bytes("", 0xED, 0xA0, 0x80))); // U+D800 surrogate
        assertEquals(0, TextHygiene.firstMalformedUtf8(bytes("", 0xF4, 0x90, 0x80, 0x80))); // U+110000
        assertEquals(0, TextHygiene.firstMalformedUtf8(bytes("", 0xF5, 0x80, 0x80, 0x80)));
        assertEquals(1, TextHygiene.firstMalformedUtf8(bytes("x", 0x80))); // continuation without a lead
        assertEquals(1, TextHygiene.firstMalformedUtf8(bytes("x", 0xE2, 0x82))); // € cut at the end
        assertEquals(1, TextHygiene.firstMalformedUtf8(bytes("x", 0xE2, 0x41, 0x41))); // € with a bad second byte
        assertEquals(-1, TextHygiene.firstMalformedUtf8(bytes("", 0xF4, 0x8F, 0xBF, 0xBF))); // U+10FFFF is fine
    }

    @Test
    void theMalformedBytesAreNamedByTheirJsonPath() {
        byte[] body = concat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi ", bytes("", 0xC0,
                0x80), "\"}]}");
        TextHygiene.Finding finding = TextHygiene.check(body, null);
        assertNotNull(finding);
        assertEquals("messages[0].content", finding.path());
    }

    @Test
    void aNulIsFoundInValuesKeysAndNestedArraysWithItsPath() throws Exception {
        assertNull(TextHygiene.firstNul(JSON.readTree("{\"a\":[\"x\",{\"b\":\"y\"}],\"n\":1}"), ""));
        assertEquals("metadata.user", TextHygiene.firstNul(
                JSON.readTree("{\"model\":\"m\",\"metadata\":{\"user\":\"bad\\u0000\"}}"), "").path());
        assertEquals("messages[1].content[0].text", TextHygiene.firstNul(JSON.readTree(
                "{\"messages\":[{\"content\":\"ok\"},{\"content\":[{\"type\":\"text\",\"text\":\"\\u0000\"}]}]}"), "")
                .path());
        TextHygiene.Finding key = TextHygiene.firstNul(JSON.readTree("{\"metadata\":{\"k\\u0000\":\"v\"}}"), "");
        assertEquals("metadata.k\\u0000", key.path());
        assertNull(TextHygiene.firstNul(JSON.readTree("\"\\u0000\""), "").path(), "the body itself has no path");
    }

    private static byte[] bytes(String prefix, int... tail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(prefix.getBytes(StandardCharsets.UTF_8));
        for (int b : tail) {
            out.write(b);
        }
        return out.toByteArray();
    }

    private static byte[] concat(String a, byte[] middle, String b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(middle);
        out.writeBytes(b.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
