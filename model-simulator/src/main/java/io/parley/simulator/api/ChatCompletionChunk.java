package io.parley.simulator.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** One SSE event of a streamed chat completion ({@code object = "chat.completion.chunk"}). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletionChunk(String id, String object, long created, String model, List<Choice> choices,
        @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Choice(int index, Delta delta, Object logprobs, String finishReason, String stopReason) {
    }

    /** {@code reasoning_content}: reasoning output, as vLLM's reasoning parsers stream it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Delta(String role, String content, String reasoningContent) {
        public Delta(String role, String content) {
            this(role, content, null);
        }
    }
}
