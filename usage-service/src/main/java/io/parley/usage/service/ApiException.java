package io.parley.usage.service;

/** A failure the caller can act on, answered as OpenAI-shaped error JSON with the given HTTP status. */
public class ApiException extends RuntimeException {

    private final int status;
    private final String type;
    private final String code;
    private final String param;

    public ApiException(int status, String type, String code, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    public static ApiException badRequest(String param, String message) {
        return new ApiException(400, "invalid_request_error", "invalid_parameter", param, message);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }
}
