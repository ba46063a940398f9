package io.parley.simulator.service;

import java.time.Duration;
import java.util.OptionalInt;

import io.parley.simulator.config.SimulatorConfig.FailureMode;

/**
 * How one request is served: the model's settings with any {@code X-Simulator-*} header overrides applied.
 *
 * @param outputTokens natural length of a lorem answer, when overridden
 * @param reasoningTokens reasoning tokens streamed before a chat answer (0: none)
 */
public record Behaviour(Duration ttft, Duration interTokenLatency, FailureMode failure, int failureAfterTokens,
        int failureStatus, OptionalInt outputTokens, int reasoningTokens) {
}
