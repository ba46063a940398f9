package io.parley.chat.service;

/**
 * A failure with a documented HTTP status and OpenAI-shaped error body
 * ({@code {"error":{"message","type","param","code"}}}).
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiException(int status, String type, String code, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    public static ApiException badRequest(String param, String message) {
        return new ApiException(400, "invalid_request_error", "invalid_value", param, message);
    }

    public static ApiException notFound(String what) {
        return new ApiException(404, "invalid_request_error", "not_found", null, what + " not found");
    }

    public static ApiException conflict(String code, String param, String message) {
        return new ApiException(409, "invalid_request_error", code, param, message);
    }

    public static ApiException upstream(int status, String code, String message) {
        return new ApiException(status, "upstream_error", code, null, message);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
