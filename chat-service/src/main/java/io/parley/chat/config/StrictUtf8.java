package io.parley.chat.config;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.util.ArrayDeque;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.core.io.InputDecorator;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.contracts.Utf8;
import io.quarkus.jackson.ObjectMapperCustomizer;

/**
 * Every JSON body chat-service reads is strict UTF-8 ({@link Utf8}, the rule the proxy applies too): Jackson decodes
 * leniently, so an overlong {@code C1 81} was stored as "A" and {@code C0 BC} as "<". The application's ObjectMapper
 * reads through a stream that checks each byte as it passes (no second copy of a large turn body); the first byte
 * that does not belong to a well-formed sequence stops the read with {@link MalformedUtf8}, answered 400
 * {@code invalid_text} naming the field (see {@code rest.ErrorMapper}) before anything is stored.
 */
@Singleton
public class StrictUtf8 implements ObjectMapperCustomizer {

    /** The body's bytes kept to name the field of a bad byte; past this, the answer names the byte offset only. */
    static final int KEPT_FOR_PATH = 1 << 20;
    private static final JsonFactory FACTORY = new JsonFactory();

    /** A body that is not strict UTF-8: where, and the JSON path of the value holding it when it could be told. */
    public static final class MalformedUtf8 extends IOException {
        private final transient String param;

        MalformedUtf8(long offset, String param) {
            super("is not valid UTF-8 (an invalid, overlong or truncated byte sequence at byte " + offset
                    + " of the body)");
            this.param = param;
        }

        /** The path of the value holding the bad bytes ({@code messages[0].content}), or {@code null}. */
        public String param() {
            return param;
        }
    }

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().setInputDecorator(new InputDecorator() {
            @Override
            public InputStream decorate(IOContext ctxt, InputStream in) {
                return new Checked(in);
            }

            @Override
            public InputStream decorate(IOContext ctxt, byte[] src, int offset, int length) {
                return new Checked(new ByteArrayInputStream(src, offset, length));
            }

            @Override
            public Reader decorate(IOContext ctxt, Reader r) {
                return r; // already characters
            }
        });
    }

    /** Checks bytes as they are read; a sequence split between two reads is judged whole. */
    static final class Checked extends FilterInputStream {
        private final Utf8.Checker checker = new Utf8.Checker();
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();

        Checked(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] buffer, int off, int len) throws IOException {
            int n = super.read(buffer, off, len);
            if (n < 0) {
                long bad = checker.finish();
                if (bad >= 0) {
                    fail(bad);
                }
                return n;
            }
            if (kept.size() < KEPT_FOR_PATH) {
                kept.write(buffer, off, Math.min(n, KEPT_FOR_PATH - kept.size()));
            }
            long bad = checker.feed(buffer, off, n);
            if (bad >= 0) {
                fail(bad);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] sink = new byte[(int) Math.min(n, 8192)];
            int read = read(sink, 0, sink.length);
            return Math.max(read, 0);
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        private void fail(long at) throws MalformedUtf8 {
            throw new MalformedUtf8(at, at < kept.size() ? pathAt(kept.toByteArray(), at) : null);
        }
    }

    /**
     * The path of the JSON value whose bytes include {@code offset} ({@code messages[0].content}), from the tokens before
     * it (Jackson tokenizes leniently, so the bad bytes do not stop it early); {@code null} when it cannot be told.
     */
    static String pathAt(byte[] body, long offset) {
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
            // the kept prefix ends inside a value, or a byte Jackson cannot read: the last path seen is the best answer
        }
        return last;
    }

    private static String path(JsonStreamContext context) {
        ArrayDeque<String> parts = new ArrayDeque<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
            } else if (c.getCurrentName() != null) {
                parts.push("." + c.getCurrentName());
            }
        }
        String joined = String.join("", parts);
        return joined.isEmpty() ? null : joined.startsWith(".") ? joined.substring(1) : joined;
    }
}
