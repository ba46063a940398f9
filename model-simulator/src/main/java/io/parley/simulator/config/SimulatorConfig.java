package io.parley.simulator.config;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Configuration of the simulated serving pod. Models are declared under {@code simulator.models."<name>"}; the two demo
 * models live in {@code application.properties}.
 */
@ConfigMapping(prefix = "simulator")
public interface SimulatorConfig {

    /** The served models, by the name clients send as {@code model}. */
    Map<String, ModelConfig> models();

    /** Whether {@code X-Simulator-*} request headers may override a model's timing, length and failure settings. */
    @WithDefault("true")
    boolean headerOverrides();

    /** Wording of the 400 for requests over the context length: {@code vllm} (recent vLLM) or {@code legacy}. */
    @WithDefault("vllm")
    ContextErrorStyle contextErrorStyle();

    /**
     * Largest accepted request body in bytes; larger bodies answer 413. 200 MiB: the base64 of 100 MiB of files
     * (133.4 MiB) plus the JSON around it, with room for the proxy's translation.
     */
    @WithDefault("209715200")
    long maxBodyBytes();

    interface ModelConfig {

        /** Time to first token: request received → headers, role chunk and first token. */
        @WithDefault("150ms")
        Duration ttft();

        /** Time between two tokens after the first. Zero sends tokens as fast as the connection takes them. */
        @WithDefault("20ms")
        Duration interTokenLatency();

        /** What the model writes. */
        @WithDefault("lorem")
        OutputMode output();

        /** Context length: prompt tokens plus max_tokens may not exceed it. */
        @WithDefault("8192")
        int maxModelLen();

        /** Natural length of a lorem answer when the request sets no max_tokens (it then ends with "stop"). */
        @WithDefault("256")
        int defaultMaxTokens();

        /** Injected failure. */
        @WithDefault("none")
        FailureMode failure();

        /** For mid-stream failures: number of content tokens sent before the failure. */
        @WithDefault("5")
        int failureAfterTokens();

        /** HTTP status of a before-first-byte failure (500 or 503 are the usual ones). */
        @WithDefault("500")
        int failureStatus();

        /**
         * Reasoning tokens streamed before the answer of a chat completion, as vLLM's reasoning parsers stream them
         * ({@code delta.reasoning_content}; docs.vllm.ai "Reasoning Outputs"), counted in {@code completion_tokens} and
         * in {@code usage.completion_tokens_details.reasoning_tokens}. 0: a model without reasoning.
         */
        @WithDefault("0")
        int reasoningTokens();

        /** The {@code root} shown by /v1/models (vLLM shows the model path); defaults to the model name. */
        Optional<String> root();
    }

    enum OutputMode {
        LOREM,
        ECHO
    }

    enum FailureMode {
        NONE,
        BEFORE_FIRST_BYTE,
        MID_STREAM_ERROR,
        MID_STREAM_HANG
    }

    enum ContextErrorStyle {
        VLLM,
        LEGACY
    }
}
