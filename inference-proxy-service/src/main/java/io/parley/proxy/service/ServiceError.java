package io.parley.proxy.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Why a call is refused or failed, as the service layer says it: its {@link Kind} and the OpenAI-shaped error body the
 * client gets ({@code {"error":{"message","type","param","code"}}}). The HTTP status of each kind is chosen in the rest
 * layer only ({@code rest.HttpErrors}); an upstream's refusal keeps the upstream's status ({@link #upstreamStatus()}).
 */
public class ServiceError extends RuntimeException {

    /** What went wrong, independent of the protocol that reports it. */
    public enum Kind {
        /** The request is malformed or asks for something not allowed. */
        INVALID_REQUEST,
        /** No valid credentials. */
        UNAUTHENTICATED,
        /** Valid credentials that may not do this. */
        FORBIDDEN,
        NOT_FOUND,
        /** The request (or its decoded attachments) is larger than allowed. */
        TOO_LARGE,
        /** The client stopped sending its request. */
        REQUEST_TIMEOUT,
        /** A rate or concurrency limit of the caller. */
        RATE_LIMITED,
        /** The proxy or a dependency cannot serve now (shutting down, registry, database, model not ready). */
        UNAVAILABLE,
        /** No upstream could be reached or it broke the answer. */
        UPSTREAM_FAILED,
        /** The upstream did not answer in time, or the call reached its maximum duration. */
        UPSTREAM_TIMEOUT,
        /** The upstream refused the call (4xx): reported with the upstream's status. */
        UPSTREAM_REFUSED,
        INTERNAL
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Kind kind;
    private final int upstreamStatus;
    private final String type;
    private final String param;
    private final String code;

    public ServiceError(Kind kind, String message, String type, String param, String code) {
        this(kind, 0, message, type, param, code);
    }

    private ServiceError(Kind kind, int upstreamStatus, String message, String type, String param, String code) {
        super(message, null, false, false);
        this.kind = kind;
        this.upstreamStatus = upstreamStatus;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** The upstream refused the call with {@code status} (4xx). */
    public static ServiceError upstreamRefused(int status, String message, String type, String code) {
        return new ServiceError(Kind.UPSTREAM_REFUSED, status, message, type, null, code);
    }

    public static ServiceError badRequest(String message, String param, String code) {
        return new ServiceError(Kind.INVALID_REQUEST, message, "invalid_request_error", param, code);
    }

    public static ServiceError unauthorized(String message) {
        return new ServiceError(Kind.UNAUTHENTICATED, message, "authentication_error", null, "unauthorized");
    }

    public static ServiceError forbidden(String message) {
        return new ServiceError(Kind.FORBIDDEN, message, "permission_error", null, "forbidden");
    }

    public static ServiceError notFound(String message, String code) {
        return new ServiceError(Kind.NOT_FOUND, message, "invalid_request_error", null, code);
    }

    public static ServiceError modelNotFound(String model) {
        return new ServiceError(Kind.NOT_FOUND, "model '" + model + "' not found", "invalid_request_error", "model",
                "model_not_found");
    }

    public static ServiceError modelNotReady(String reason) {
        return new ServiceError(Kind.UNAVAILABLE, reason, "service_unavailable_error", "model", "model_not_ready");
    }

    public static ServiceError tooLarge(long limit) {
        return new ServiceError(Kind.TOO_LARGE, "request body larger than " + limit + " bytes", "invalid_request_error", null,
                "request_too_large");
    }

    public static ServiceError attachmentsTooLarge(long decodedBytes, long limit) {
        return new ServiceError(Kind.TOO_LARGE,
                "the attachments of this request decode to " + decodedBytes + " bytes, more than the "
                        + limit + " bytes allowed per request",
                "invalid_request_error", "messages", "request_too_large");
    }

    public static ServiceError badGateway(String message, String code) {
        return new ServiceError(Kind.UPSTREAM_FAILED, message, "upstream_error", null, code);
    }

    public static ServiceError gatewayTimeout(String message) {
        return new ServiceError(Kind.UPSTREAM_TIMEOUT, message, "upstream_error", null, "upstream_timeout");
    }

    /**
     * 429 in OpenAI's shape for a limit of the proxy ({@code limit}: {@code requests_per_minute}, {@code tokens_per_minute},
     * {@code concurrency}; {@code scope}: {@code user} or {@code api_key}): code {@code rate_limit_exceeded}, type
     * {@code requests} or {@code tokens} and a message "Rate limit reached for ... Limit N, Used M, Requested 1. Please try
     * again in Ss." as OpenAI answers (its error-code guide; the SDKs retry a 429 after {@code Retry-After}).
     */
    public static ServiceError rateLimited(String limit, String scope, long allowed, long used, long retryAfterSeconds) {
        String who = "api_key".equals(scope) ? "this API key" : "this user";
        String message = switch (limit) {
            case "tokens_per_minute" -> "Rate limit reached for tokens per min (TPM) of " + who + ": Limit " + allowed
                    + ", Used " + used + ".";
            case "concurrency" -> "Rate limit reached for concurrent requests of " + who + ": Limit " + allowed
                    + ", In flight " + used + ", Requested 1.";
            default -> "Rate limit reached for requests per min (RPM) of " + who + ": Limit " + allowed + ", Used "
                    + used + ", Requested 1.";
        };
        return new ServiceError(Kind.RATE_LIMITED, message + " Please try again in " + retryAfterSeconds + "s.",
                "tokens_per_minute".equals(limit) ? "tokens" : "requests", null, "rate_limit_exceeded");
    }

    /** The call ran for {@code limits.max-stream-duration} and was ended by the proxy. */
    public static ServiceError maxStreamDuration(java.time.Duration limit) {
        return new ServiceError(Kind.UPSTREAM_TIMEOUT,
                "the call reached the proxy's maximum duration of " + limit.toSeconds() + " s and was "
                        + "ended; ask for fewer tokens (max_tokens) or split the work",
                "timeout_error", null,
                "max_stream_duration");
    }

    /** The proxy is stopping: retry the call (another replica takes it). */
    public static ServiceError shuttingDown() {
        return new ServiceError(Kind.UNAVAILABLE, "the server is shutting down; retry the request", "service_unavailable_error",
                null,
                "server_shutting_down");
    }

    /** A dependency the call needs (the database, the OIDC provider, the registry) is unreachable: retry later. */
    public static ServiceError unavailable(String message, String code) {
        return new ServiceError(Kind.UNAVAILABLE, message, "service_unavailable_error", null, code);
    }

    public Kind kind() {
        return kind;
    }

    /** The upstream's status of an {@link Kind#UPSTREAM_REFUSED} error; 0 for the other kinds. */
    public int upstreamStatus() {
        return upstreamStatus;
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
