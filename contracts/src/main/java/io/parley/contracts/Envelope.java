package io.parley.contracts;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The limits of a call's envelope (design §4; docs/architecture.md, "Turn envelope and attachments" and "Per-call
 * overrides"), written once for the service that sends it (chat-service) and the one that enforces it (the proxy).
 */
public final class Envelope {

    private Envelope() {
    }

    /** Request header holding a JSON object merged over the upstream body. */
    public static final String OVERRIDES_HEADER = "X-Parley-Overrides";
    /** Response header naming the override keys that were applied, comma-separated. */
    public static final String OVERRIDES_APPLIED_HEADER = "X-Parley-Overrides-Applied";
    /** 16 KiB: header values are ISO-8859-1 on the wire, so one character is one byte. */
    public static final int MAX_OVERRIDES_BYTES = 16 * 1024;
    /** Keys the proxy owns: an override touching one is refused. */
    public static final Set<String> PROTECTED_OVERRIDE_KEYS = Set.of("model", "messages", "prompt", "input", "stream",
            "stream_options");

    /** Request and response header carrying the caller's correlation id. */
    public static final String CORRELATION_HEADER = "X-Correlation-Id";
    /** A correlation id a caller may choose. */
    public static final Pattern CORRELATION_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    /** At most this many {@code metadata} pairs, keys and values at most this long. */
    public static final int MAX_METADATA = 16;
    public static final int MAX_METADATA_KEY = 64;
    public static final int MAX_METADATA_VALUE = 512;
}
