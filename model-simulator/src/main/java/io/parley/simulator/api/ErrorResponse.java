package io.parley.simulator.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** vLLM's error body: {@code {"error":{"message","type","param","code"}}}, where code is the HTTP status. */
public record ErrorResponse(ErrorInfo error) {

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ErrorInfo(String message, String type, String param, int code) {
    }

    public static ErrorResponse of(String message, String type, String param, int code) {
        return new ErrorResponse(new ErrorInfo(message, type, param, code));
    }
}
