package io.parley.usage.rest;

/** The OpenAI-shaped error every endpoint answers: {@code {"error":{"message","type","param","code"}}}. */
public record ErrorBody(Detail error) {

    public record Detail(String message, String type, String param, String code) {
    }

    public static ErrorBody of(String message, String type, String param, String code) {
        return new ErrorBody(new Detail(message, type, param, code));
    }
}
