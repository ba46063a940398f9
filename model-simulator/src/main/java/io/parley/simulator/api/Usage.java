package io.parley.simulator.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Usage(int promptTokens, int totalTokens, int completionTokens) {

    public static Usage of(int promptTokens, int completionTokens) {
        return new Usage(promptTokens, promptTokens + completionTokens, completionTokens);
    }
}
