package io.parley.simulator.stream;

import java.util.List;

import io.parley.simulator.api.ChatCompletion;
import io.parley.simulator.api.ChatCompletionChunk;
import io.parley.simulator.api.TextCompletion;
import io.parley.simulator.api.Usage;
import io.parley.simulator.service.Endpoint;
import io.parley.simulator.service.Plan;

/** Builds the wire objects of one answer, in the chat or the legacy completion shape. */
final class ChunkFormat {

    private final Plan plan;
    private final boolean chat;

    ChunkFormat(Plan plan) {
        this.plan = plan;
        this.chat = plan.request().endpoint() == Endpoint.CHAT_COMPLETIONS;
    }

    /** The first chunk of a chat stream carries the role; legacy completions have none. */
    Object roleChunk() {
        return chat ? chatChunk(new ChatCompletionChunk.Delta("assistant", ""), null, null) : null;
    }

    Object contentChunk(String delta, String finishReason, String stopReason) {
        if (chat) {
            return chatChunk(new ChatCompletionChunk.Delta(null, delta), finishReason, stopReason);
        }
        return new TextCompletion(plan.id(), "text_completion", plan.created(), plan.request().model(),
                List.of(new TextCompletion.Choice(0, delta, null, finishReason, stopReason)), null);
    }

    /** A reasoning delta (chat only: legacy completions have no reasoning parser). */
    Object reasoningChunk(String delta) {
        return chatChunk(new ChatCompletionChunk.Delta(null, null, delta), null, null);
    }

    /** Whether answers carry reasoning: chat completions of a model with reasoning tokens. */
    boolean reasons() {
        return chat && plan.behaviour().reasoningTokens() > 0;
    }

    Object usageChunk(Usage usage) {
        if (chat) {
            return new ChatCompletionChunk(plan.id(), "chat.completion.chunk", plan.created(), plan.request().model(),
                    List.of(), usage);
        }
        return new TextCompletion(plan.id(), "text_completion", plan.created(), plan.request().model(), List.of(),
                usage);
    }

    Object full(String text, String finishReason, String stopReason, Usage usage) {
        if (chat) {
            return new ChatCompletion(plan.id(), "chat.completion", plan.created(), plan.request().model(),
                    List.of(new ChatCompletion.Choice(0, new ChatCompletion.Message("assistant", text,
                            reasons() ? reasoningText(plan.behaviour().reasoningTokens()) : null), null,
                            finishReason, stopReason)),
                    usage);
        }
        return new TextCompletion(plan.id(), "text_completion", plan.created(), plan.request().model(),
                List.of(new TextCompletion.Choice(0, text, null, finishReason, stopReason)), usage);
    }

    /** The words of the simulated reasoning, one token each, repeated as needed. */
    static final String[] REASONING = { "Let", " me", " think", " about", " this", " step", " by", " step", "." };

    static String reasoningToken(int i) {
        return REASONING[i % REASONING.length];
    }

    static String reasoningText(int tokens) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < tokens; i++) {
            b.append(reasoningToken(i));
        }
        return b.toString();
    }

    private ChatCompletionChunk chatChunk(ChatCompletionChunk.Delta delta, String finishReason, String stopReason) {
        return new ChatCompletionChunk(plan.id(), "chat.completion.chunk", plan.created(), plan.request().model(),
                List.of(new ChatCompletionChunk.Choice(0, delta, null, finishReason, stopReason)), null);
    }
}
