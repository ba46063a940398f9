package io.parley.contracts;

/**
 * Strict UTF-8 (RFC 3629 §3), the one rule every service's edge applies to the text it is sent: a byte that does not
 * belong to a well-formed sequence is refused. Jackson decodes leniently (an overlong {@code C1 81} reads as "A",
 * {@code C0 80} as U+0000), so a service checks the bytes before or while Jackson reads them. Malformed are: a
 * continuation byte without a lead, {@code C0}/{@code C1} and {@code F5..FF} (always overlong or beyond Unicode),
 * overlong three- and four-byte forms ({@code E0 80..9F}, {@code F0 80..8F}), UTF-16 surrogates ({@code ED A0..BF}),
 * code points above U+10FFFF ({@code F4 90..}), and a sequence cut short by the next lead byte or the end.
 */
public final class Utf8 {

    private Utf8() {
    }

    /**
     * The offset of the first byte at or after {@code from} that starts a malformed sequence (its lead byte, or the stray
     * byte itself), or -1 if the bytes from there on are well formed.
     */
    public static long firstMalformed(byte[] b, int from) {
        Checker c = new Checker(from);
        long bad = c.feed(b, from, b.length - from);
        return bad >= 0 ? bad : c.finish();
    }

    /** {@link #firstMalformed(byte[], int)} from the start. */
    public static long firstMalformed(byte[] b) {
        return firstMalformed(b, 0);
    }

    /**
     * Checks bytes as they are read, in as many pieces as they come: a sequence split between two pieces is judged
     * whole. Not thread-safe; one per body.
     */
    public static final class Checker {
        private long offset;
        private int more; // continuation bytes still expected
        private int lo = 0x80;
        private int hi = 0xBF;
        private long start; // offset of the lead byte of the current sequence

        public Checker() {
            this(0);
        }

        /** A checker whose first byte is at {@code offset} of the body (what its findings count from). */
        public Checker(long offset) {
            this.offset = offset;
        }

        /**
         * Checks {@code len} bytes of {@code b} from {@code off}; answers the body offset of the first malformed
         * sequence, or -1. After a finding the checker's state is undefined: stop there.
         */
        public long feed(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++, offset++) {
                int c = b[i] & 0xFF;
                if (more > 0) {
                    if (c < lo || c > hi) {
                        return start;
                    }
                    lo = 0x80;
                    hi = 0xBF;
                    more--;
                    continue;
                }
                if (c < 0x80) {
                    continue;
                }
                start = offset;
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
                    return offset; // a continuation byte without a lead, C0/C1 (always overlong) or F5..FF
                }
            }
            return -1;
        }

        /** At the end of the body: the offset of a sequence left unfinished, or -1. */
        public long finish() {
            return more > 0 ? start : -1;
        }
    }
}
