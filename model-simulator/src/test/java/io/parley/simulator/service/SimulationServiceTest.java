package io.parley.simulator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

import io.parley.simulator.config.SimulatorConfig;

/** Context-length wording in both styles, without starting Quarkus. */
class SimulationServiceTest {

    private static SimulatorConfig config(SimulatorConfig.ContextErrorStyle style) {
        SimulatorConfig.ModelConfig model = new SimulatorConfig.ModelConfig() {
            public Duration ttft() {
                return Duration.ZERO;
            }

            public Duration interTokenLatency() {
                return Duration.ZERO;
            }

            public SimulatorConfig.OutputMode output() {
                return SimulatorConfig.OutputMode.LOREM;
            }

            public int maxModelLen() {
                return 100;
            }

            public int defaultMaxTokens() {
                return 10;
            }

            public SimulatorConfig.FailureMode failure() {
                return SimulatorConfig.FailureMode.NONE;
            }

            public int failureAfterTokens() {
                return 0;
            }

            public int failureStatus() {
                return 500;
            }

            public int reasoningTokens() {
                return 0;
            }

            public Optional<String> root() {
                return Optional.empty();
            }
        };
        return new SimulatorConfig() {
            public Map<String, ModelConfig> models() {
                return Map.of("m", model);
            }

            public boolean headerOverrides() {
                return true;
            }

            public ContextErrorStyle contextErrorStyle() {
                return style;
            }

            public long maxBodyBytes() {
                return 1024;
            }
        };
    }

    private static GenerationRequest request(int promptTokens, OptionalInt maxTokens) {
        return new GenerationRequest(Endpoint.CHAT_COMPLETIONS, "m", false, false, maxTokens, 0, OptionalLong.empty(),
                List.of(), promptTokens, "", "prompt");
    }

    private static String refusal(SimulatorConfig.ContextErrorStyle style, int prompt, OptionalInt maxTokens) {
        SimulationService service = new SimulationService(config(style));
        return assertThrows(SimulatorException.class, () -> service.plan(request(prompt, maxTokens), h -> null))
                .getMessage();
    }

    @Test
    void legacyStyleGivesExactCountsInOlderVllmWording() {
        assertEquals("This model's maximum context length is 100 tokens. However, you requested 130 tokens "
                + "(80 in the messages, 50 in the completion). Please reduce the length of the messages or "
                + "completion.", refusal(SimulatorConfig.ContextErrorStyle.LEGACY, 80, OptionalInt.of(50)));
    }

    @Test
    void vllmStyleReportsThePromptLowerBoundLikeRecentVllm() {
        assertEquals("This model's maximum context length is 100 tokens. However, you requested 50 output tokens "
                + "and your prompt contains at least 51 input tokens, for a total of at least 101 tokens. Please "
                + "reduce the length of the input prompt or the number of requested output tokens. "
                + "(parameter=input_tokens, value=51)",
                refusal(SimulatorConfig.ContextErrorStyle.VLLM, 80, OptionalInt.of(50)));
    }

    @Test
    void withoutMaxTokensOnlyAPromptLongerThanTheContextIsRefusedAndTheRoomLeftCapsTheAnswer() {
        assertEquals("This model's maximum context length is 100 tokens. However, you requested 0 output tokens "
                + "and your prompt contains at least 101 input tokens, for a total of at least 101 tokens. Please "
                + "reduce the length of the input prompt or the number of requested output tokens. "
                + "(parameter=input_tokens, value=101)",
                refusal(SimulatorConfig.ContextErrorStyle.VLLM, 120, OptionalInt.empty()));
        SimulationService service = new SimulationService(config(SimulatorConfig.ContextErrorStyle.VLLM));
        Plan plan = service.plan(request(95, OptionalInt.empty()), h -> null);
        assertEquals("length", plan.generation().runToEnd().finishReason(), "the room left caps the answer");
        assertEquals(5, plan.generation().generated());
    }
}
