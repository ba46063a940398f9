package io.parley.registry.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** All of the registry's configuration, under {@code parley.registry}. */
@ConfigMapping(prefix = "parley.registry")
public interface RegistryConfig {

    /** Which sources feed the view: {@code static}, {@code kubernetes}, or both ({@code kubernetes,static}). */
    @WithDefault("static")
    List<SourceKind> source();

    Health health();

    Defaults defaults();

    @WithName("static")
    StaticSource staticSource();

    /** The change stream ({@code GET /v1/models/changes}). */
    Changes changes();

    enum SourceKind {
        STATIC,
        KUBERNETES
    }

    interface Health {
        /** How often every upstream endpoint is probed ({@code HEALTH_POLL_SEC}). */
        @WithDefault("15s")
        Duration poll();

        /** How long a successful probe counts ({@code HEALTH_CHECK_TTL_SEC}); must exceed {@link #poll()}. */
        @WithDefault("20s")
        Duration ttl();

        /** Upper bound of one probe (both requests together) against one endpoint. */
        @WithDefault("3s")
        Duration timeout();

        /** When the upstream answers {@code /v1/models}, a model it does not list is not running. */
        @WithDefault("true")
        boolean requireListedModel();
    }

    interface Defaults {
        /** The task of a model nobody configured one for. */
        @WithDefault("chat")
        String task();

        /** Upper bound of the derived {@code max_tokens_default} (min(cap, max_model_len / 2)). */
        @WithDefault("4096")
        int maxTokensCap();

        @WithDefault("0.7")
        double temperature();

        @WithDefault("1.0")
        double topP();
    }

    interface StaticSource {
        /** Named OpenAI-compatible endpoints registered without any custom resource. */
        Map<String, StaticEndpoint> endpoints();
    }

    interface StaticEndpoint {
        /** Base URL without {@code /v1}, e.g. {@code http://127.0.0.1:8090}. */
        String url();

        /** vllm, tgi, sambanova, openai, ... */
        @WithDefault("openai")
        String engineType();

        /**
         * Where the server side finds the upstream API key: {@code env:VAR} (an environment variable or config
         * property). Never the key itself.
         */
        Optional<String> credentialRef();

        /** The model names this endpoint serves. */
        List<String> models();

        /** Optional per-model settings, keyed by model name (quote names that contain dots). */
        @WithName("model")
        Map<String, ModelSettings> modelSettings();
    }

    interface ModelSettings {
        Optional<Integer> maxModelLen();

        Optional<Integer> contextSize();

        Optional<String> task();

        Optional<Integer> maxTokensDefault();

        Optional<Double> temperature();

        Optional<Double> topP();

        Optional<Boolean> supportsStreaming();

        Optional<Boolean> supportsSystemPrompt();
    }

    interface Changes {
        /** Interval of SSE keep-alive comments on idle change streams. */
        @WithDefault("15s")
        Duration keepAlive();
    }
}
