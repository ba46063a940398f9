package io.parley.usage.service;

/**
 * A request the service refuses, with the OpenAI error's machine code and the offending field; {@code rest.ErrorMapper}
 * alone turns its {@link Kind} into an HTTP status.
 */
public class UsageException extends RuntimeException {

    /** What went wrong, independent of the transport. */
    public enum Kind {
        /** a field has a value the service does not accept */
        INVALID,
        /** the request holds more than the service takes at once */
        TOO_LARGE
    }

    private final Kind kind;
    private final String code;
    private final String param;

    public UsageException(Kind kind, String code, String param, String message) {
        super(message);
        this.kind = kind;
        this.code = code;
        this.param = param;
    }

    public static UsageException invalid(String param, String message) {
        return new UsageException(Kind.INVALID, "invalid_parameter", param, message);
    }

    /** Text that is not strict UTF-8: 400 {@code invalid_text}, naming the field when known. */
    public static UsageException invalidText(String param, String message) {
        return new UsageException(Kind.INVALID, "invalid_text", param, message);
    }

    public Kind kind() {
        return kind;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }
}
