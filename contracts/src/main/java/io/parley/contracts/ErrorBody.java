package io.parley.contracts;

/**
 * The error body every Parley service answers with, OpenAI's shape: {@code {"error":{"message","type","param","code"}}}
 * (docs/architecture.md, "Wire contracts"). {@code param} and {@code code} may be null. Each service maps its own
 * failures to it in its {@code rest} layer.
 */
public record ErrorBody(Detail error) {

    public record Detail(String message, String type, String param, String code) {
    }

    public static ErrorBody of(String message, String type, String param, String code) {
        return new ErrorBody(new Detail(message, type, param, code));
    }
}
