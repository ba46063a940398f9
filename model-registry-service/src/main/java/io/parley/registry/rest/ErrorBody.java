package io.parley.registry.rest;

/** The OpenAI error shape: {@code {"error":{"message","type","param","code"}}}. */
public record ErrorBody(Error error) {

    public record Error(String message, String type, String param, String code) {
    }

    public static ErrorBody of(String message, String type, String code) {
        return new ErrorBody(new Error(message, type, null, code));
    }
}
