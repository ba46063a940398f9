package io.parley.simulator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Token counts; {@code completion_tokens_details} only for answers with reasoning (OpenAI's and vLLM's shape). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Usage(int promptTokens, int totalTokens, int completionTokens,
        @JsonInclude(JsonInclude.Include.NON_NULL) Details completionTokensDetails) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Details(int reasoningTokens) {
    }

    public static Usage of(int promptTokens, int completionTokens) {
        return new Usage(promptTokens, promptTokens + completionTokens, completionTokens, null);
    }

    /** {@code completionTokens} of the answer plus {@code reasoningTokens} before it (both are generated tokens). */
    public static Usage of(int promptTokens, int completionTokens, int reasoningTokens) {
        if (reasoningTokens == 0) {
            return of(promptTokens, completionTokens);
        }
        int completion = completionTokens + reasoningTokens;
        return new Usage(promptTokens, promptTokens + completion, completion, new Details(reasoningTokens));
    }
}
