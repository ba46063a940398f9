package io.parley.proxy.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** An OpenAI-shaped error ({@code {"error":{"message","type","param","code"}}}) with its HTTP status. */
public class ApiError extends RuntimeException {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiError(int status, String message, String type, String param, String code) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    public static ApiError badRequest(String message, String param, String code) {
        return new ApiError(400, message, "invalid_request_error", param, code);
    }

    public static ApiError unauthorized(String message) {
        return new ApiError(401, message, "authentication_error", null, "unauthorized");
    }

    public static ApiError forbidden(String message) {
        return new ApiError(403, message, "permission_error", null, "forbidden");
    }

    public static ApiError notFound(String message, String code) {
        return new ApiError(404, message, "invalid_request_error", null, code);
    }

    public static ApiError modelNotFound(String model) {
        return new ApiError(404, "model '" + model + "' not found", "invalid_request_error", "model", "model_not_found");
    }

    public static ApiError modelNotReady(String reason) {
        return new ApiError(503, reason, "service_unavailable_error", "model", "model_not_ready");
    }

    public static ApiError tooLarge(long limit) {
        return new ApiError(413, "request body larger than " + limit + " bytes", "invalid_request_error", null,
                "request_too_large");
    }

    public static ApiError attachmentsTooLarge(long decodedBytes, long limit) {
        return new ApiError(413, "the attachments of this request decode to " + decodedBytes + " bytes, more than the "
                + limit + " bytes allowed per request", "invalid_request_error", "messages", "request_too_large");
    }

    public static ApiError badGateway(String message, String code) {
        return new ApiError(502, message, "upstream_error", null, code);
    }

    public static ApiError gatewayTimeout(String message) {
        return new ApiError(504, message, "upstream_error", null, "upstream_timeout");
    }

    /**
     * 429 in OpenAI's shape for a limit of the proxy ({@code limit}: {@code requests_per_minute}, {@code tokens_per_minute},
     * {@code concurrency}; {@code scope}: {@code user} or {@code api_key}): code {@code rate_limit_exceeded}, type
     * {@code requests} or {@code tokens} and a message "Rate limit reached for ... Limit N, Used M, Requested 1. Please try
     * again in Ss." as OpenAI answers (its error-code guide; the SDKs retry a 429 after {@code Retry-After}).
     */
    public static ApiError rateLimited(String limit, String scope, long allowed, long used, long retryAfterSeconds) {
        String who = "api_key".equals(scope) ? "this API key" : "this user";
        String message = switch (limit) {
            case "tokens_per_minute" -> "Rate limit reached for tokens per min (TPM) of " + who + ": Limit " + allowed
                    + ", Used " + used + ".";
            case "concurrency" -> "Rate limit reached for concurrent requests of " + who + ": Limit " + allowed
                    + ", In flight " + used + ", Requested 1.";
            default -> "Rate limit reached for requests per min (RPM) of " + who + ": Limit " + allowed + ", Used "
                    + used + ", Requested 1.";
        };
        return new ApiError(429, message + " Please try again in " + retryAfterSeconds + "s.",
                "tokens_per_minute".equals(limit) ? "tokens" : "requests", null, "rate_limit_exceeded");
    }

    /** The call ran for {@code limits.max-stream-duration} and was ended by the proxy. */
    public static ApiError maxStreamDuration(java.time.Duration limit) {
        return new ApiError(504, "the call reached the proxy's maximum duration of " + limit.toSeconds() + " s and was "
                + "ended; ask for fewer tokens (max_tokens) or split the work", "timeout_error", null,
                "max_stream_duration");
    }

    /** The proxy is stopping: retry the call (another replica takes it). */
    public static ApiError shuttingDown() {
        return new ApiError(503, "the server is shutting down; retry the request", "service_unavailable_error", null,
                "server_shutting_down");
    }

    /** A dependency the call needs (the database, the OIDC provider, the registry) is unreachable: retry later. */
    public static ApiError unavailable(String message, String code) {
        return new ApiError(503, message, "service_unavailable_error", null, code);
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

    /** The error object without the status, as JSON. */
    public ObjectNode toJsonNode() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }

    public String toJson() {
        return toJsonNode().toString();
    }
}
