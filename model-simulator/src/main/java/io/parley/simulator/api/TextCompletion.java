package io.parley.simulator.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * A legacy completion ({@code object = "text_completion"}): the whole answer, or one SSE event of a stream (then
 * {@code usage} is absent except on the final usage event).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TextCompletion(String id, String object, long created, String model, List<Choice> choices,
        @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Choice(int index, String text, Object logprobs, String finishReason, String stopReason) {
    }
}
