package io.parley.chat.service;

import java.io.IOException;
import java.io.Reader;
import java.util.Base64;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;

/**
 * A JSON string value {@code prefix + base64(bytes)} written piece by piece into the generator when the request body
 * is serialized: an attachment of 100 MB is never also a 133 MB string in memory. {@link #toString()} never shows
 * the bytes.
 */
final class StreamedBase64 implements JsonSerializable {

    private static final int BLOCK = 3 * 4096;

    private final String prefix;
    private final byte[] bytes;

    StreamedBase64(String prefix, byte[] bytes) {
        this.prefix = prefix;
        this.bytes = bytes;
    }

    long length() {
        return prefix.length() + (bytes.length + 2L) / 3 * 4;
    }

    @Override
    public void serialize(JsonGenerator gen, SerializerProvider serializers) throws IOException {
        gen.writeString(new EncodingReader(), (int) length());
    }

    @Override
    public void serializeWithType(JsonGenerator gen, SerializerProvider serializers, TypeSerializer typeSer)
            throws IOException {
        serialize(gen, serializers);
    }

    @Override
    public String toString() {
        return prefix + "<" + bytes.length + " bytes>";
    }

    /** The prefix, then the base64 of the bytes, encoded one block at a time as it is read. */
    private final class EncodingReader extends Reader {
        private int prefixPos;
        private int bytePos;
        private byte[] block = new byte[0];
        private int blockPos;

        @Override
        public int read(char[] buf, int off, int len) {
            int n = 0;
            while (n < len) {
                if (prefixPos < prefix.length()) {
                    buf[off + n++] = prefix.charAt(prefixPos++);
                    continue;
                }
                if (blockPos == block.length) {
                    if (bytePos >= bytes.length) {
                        break;
                    }
                    int end = Math.min(bytes.length, bytePos + BLOCK);
                    block = Base64.getEncoder().encode(java.util.Arrays.copyOfRange(bytes, bytePos, end));
                    bytePos = end;
                    blockPos = 0;
                }
                buf[off + n++] = (char) block[blockPos++];
            }
            return n == 0 && len > 0 ? -1 : n;
        }

        @Override
        public void close() {
            // nothing to release
        }
    }
}
