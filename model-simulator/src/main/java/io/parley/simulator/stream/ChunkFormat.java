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
                    List.of(new ChatCompletion.Choice(0, new ChatCompletion.Message("assistant", text), null,
                            finishReason, stopReason)),
                    usage);
        }
        return new TextCompletion(plan.id(), "text_completion", plan.created(), plan.request().model(),
                List.of(new TextCompletion.Choice(0, text, null, finishReason, stopReason)), usage);
    }

    private ChatCompletionChunk chatChunk(ChatCompletionChunk.Delta delta, String finishReason, String stopReason) {
        return new ChatCompletionChunk(plan.id(), "chat.completion.chunk", plan.created(), plan.request().model(),
                List.of(new ChatCompletionChunk.Choice(0, delta, null, finishReason, stopReason)), null);
    }
}
