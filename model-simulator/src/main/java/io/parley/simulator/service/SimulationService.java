package io.parley.simulator.service;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.simulator.api.ModelList;
import io.parley.simulator.config.SimulatorConfig;
import io.parley.simulator.config.SimulatorConfig.ContextErrorStyle;
import io.parley.simulator.config.SimulatorConfig.FailureMode;
import io.parley.simulator.config.SimulatorConfig.ModelConfig;
import io.parley.simulator.token.Generation;
import io.parley.simulator.token.LoremSource;
import io.parley.simulator.token.Tokenizer;

/** Turns a validated request into a {@link Plan}: model lookup, overrides, context-length check, output. */
@ApplicationScoped
public class SimulationService {

    public static final String HEADER_FAILURE = "X-Simulator-Failure";
    public static final String HEADER_FAILURE_AFTER_TOKENS = "X-Simulator-Failure-After-Tokens";
    public static final String HEADER_FAILURE_STATUS = "X-Simulator-Failure-Status";
    public static final String HEADER_TTFT_MS = "X-Simulator-Ttft-Ms";
    public static final String HEADER_ITL_MS = "X-Simulator-Itl-Ms";
    public static final String HEADER_OUTPUT_TOKENS = "X-Simulator-Output-Tokens";

    private final SimulatorConfig config;
    private final long startedAt = Instant.now().getEpochSecond();

    public SimulationService(SimulatorConfig config) {
        this.config = config;
    }

    public ModelList models() {
        List<ModelList.ModelCard> cards = config.models().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> new ModelList.ModelCard(e.getKey(), "model", startedAt, "vllm",
                        e.getValue().root().orElse(e.getKey()), null, e.getValue().maxModelLen(),
                        List.of(new ModelList.ModelPermission("modelperm-" + hex(e.getKey()), "model_permission",
                                startedAt, false, true, true, false, true, false, "*", null, false))))
                .toList();
        return ModelList.of(cards);
    }

    /**
     * Plans a request.
     *
     * @param headers request header lookup (case-insensitive), for the {@code X-Simulator-*} overrides
     * @throws SimulatorException 404 for an unknown model, 400 for bad overrides or a request over the context length
     */
    public Plan plan(GenerationRequest request, Function<String, String> headers) {
        ModelConfig model = Optional.ofNullable(config.models().get(request.model()))
                .orElseThrow(() -> SimulatorException.modelNotFound(request.model()));
        Behaviour behaviour = behaviour(model, headers);
        int maxModelLen = model.maxModelLen();
        int prompt = request.promptTokens();
        int maxTokens;
        if (request.maxTokens().isPresent()) {
            maxTokens = request.maxTokens().getAsInt();
            if (prompt + maxTokens > maxModelLen) {
                throw contextLengthError(maxModelLen, prompt, maxTokens);
            }
        } else {
            if (prompt > maxModelLen) {
                throw contextLengthError(maxModelLen, prompt, 0);
            }
            maxTokens = maxModelLen - prompt;
        }
        Iterator<String> natural = switch (model.output()) {
            case ECHO -> Tokenizer.split(request.echoText()).iterator();
            case LOREM -> LoremSource.limit(new LoremSource(seed(request)),
                    behaviour.outputTokens().orElse(request.maxTokens().isPresent() ? Integer.MAX_VALUE
                            : model.defaultMaxTokens()));
        };
        Generation generation = new Generation(natural, maxTokens, request.stop());
        return new Plan(request.endpoint().idPrefix() + UUID.randomUUID().toString().replace("-", ""),
                Instant.now().getEpochSecond(), request, behaviour, generation);
    }

    private Behaviour behaviour(ModelConfig model, Function<String, String> headers) {
        Duration ttft = model.ttft();
        Duration itl = model.interTokenLatency();
        FailureMode failure = model.failure();
        int failureAfter = model.failureAfterTokens();
        int failureStatus = model.failureStatus();
        OptionalInt outputTokens = OptionalInt.empty();
        if (config.headerOverrides()) {
            ttft = header(headers, HEADER_TTFT_MS).map(v -> Duration.ofMillis(nonNegative(HEADER_TTFT_MS, v)))
                    .orElse(ttft);
            itl = header(headers, HEADER_ITL_MS).map(v -> Duration.ofMillis(nonNegative(HEADER_ITL_MS, v)))
                    .orElse(itl);
            failure = header(headers, HEADER_FAILURE).map(SimulationService::failureMode).orElse(failure);
            failureAfter = header(headers, HEADER_FAILURE_AFTER_TOKENS)
                    .map(v -> (int) nonNegative(HEADER_FAILURE_AFTER_TOKENS, v)).orElse(failureAfter);
            failureStatus = header(headers, HEADER_FAILURE_STATUS).map(v -> (int) nonNegative(HEADER_FAILURE_STATUS, v))
                    .orElse(failureStatus);
            Optional<String> output = header(headers, HEADER_OUTPUT_TOKENS);
            if (output.isPresent()) {
                outputTokens = OptionalInt.of((int) nonNegative(HEADER_OUTPUT_TOKENS, output.get()));
            }
        }
        if (failureStatus < 400 || failureStatus > 599) {
            throw SimulatorException.badRequest("Failure status must be between 400 and 599, got " + failureStatus
                    + ".");
        }
        return new Behaviour(ttft, itl, failure, failureAfter, failureStatus, outputTokens, model.reasoningTokens());
    }

    private SimulatorException contextLengthError(int maxModelLen, int prompt, int maxTokens) {
        if (config.contextErrorStyle() == ContextErrorStyle.LEGACY) {
            return SimulatorException.badRequest("This model's maximum context length is " + maxModelLen
                    + " tokens. However, you requested " + (prompt + maxTokens) + " tokens (" + prompt
                    + " in the messages, " + maxTokens + " in the completion). Please reduce the length of the "
                    + "messages or completion.");
        }
        if (maxTokens > maxModelLen) {
            return SimulatorException.badRequest("'max_tokens' or 'max_completion_tokens' is too large: " + maxTokens
                    + ". This model's maximum context length is " + maxModelLen + " tokens and your request has "
                    + prompt + " input tokens (" + maxTokens + " > " + maxModelLen + " - " + prompt + ").",
                    "max_tokens");
        }
        // vLLM stops tokenizing the prompt one token past the room left, so it reports a lower bound.
        int atLeast = Math.min(prompt, maxModelLen - maxTokens + 1);
        return SimulatorException.badRequest("This model's maximum context length is " + maxModelLen
                + " tokens. However, you requested " + maxTokens + " output tokens and your prompt contains at least "
                + atLeast + " input tokens, for a total of at least " + (atLeast + maxTokens) + " tokens. Please "
                + "reduce the length of the input prompt or the number of requested output tokens. "
                + "(parameter=input_tokens, value=" + atLeast + ")", "input_tokens");
    }

    private static long seed(GenerationRequest request) {
        long seed = request.promptText().hashCode() * 31L + request.model().hashCode();
        if (request.temperature() > 0) {
            seed = seed * 31 + Double.hashCode(request.temperature());
        }
        if (request.seed().isPresent()) {
            seed = seed * 31 + request.seed().getAsLong();
        }
        return seed;
    }

    private static Optional<String> header(Function<String, String> headers, String name) {
        return Optional.ofNullable(headers.apply(name)).map(String::trim).filter(v -> !v.isEmpty());
    }

    private static long nonNegative(String header, String value) {
        try {
            long parsed = Long.parseLong(value);
            if (parsed >= 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw SimulatorException.badRequest("Header " + header + " must be a non-negative integer, got '" + value
                + "'.");
    }

    private static FailureMode failureMode(String value) {
        try {
            return FailureMode.valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw SimulatorException.badRequest("Header " + HEADER_FAILURE + " must be one of none, "
                    + "before-first-byte, mid-stream-error, mid-stream-hang; got '" + value + "'.");
        }
    }

    private static String hex(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString()
                .replace("-", "");
    }
}
