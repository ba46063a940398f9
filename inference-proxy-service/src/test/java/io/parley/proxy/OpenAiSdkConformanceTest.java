package io.parley.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;

import io.parley.testsupport.PostgresResource;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The official OpenAI Java SDK, unchanged, as a client of the proxy. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(FakeServices.class)
class OpenAiSdkConformanceTest {

    @TestHTTPResource("/v1")
    URL base;

    OpenAIClient client;

    @BeforeEach
    void client() {
        client = OpenAIOkHttpClient.builder().baseUrl(base.toString()).apiKey(TestTokens.user("alice", "user"))
                .maxRetries(0).build();
    }

    @AfterEach
    void close() {
        client.close();
    }

    private static ChatCompletionCreateParams.Builder chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("hi");
    }

    @Test
    void sdkReadsANonStreamedChatCompletionWithServerMetricsInUsage() {
        ChatCompletion completion = client.chat().completions().create(chat("sim-chat").build());
        assertEquals(String.join("", FakeServices.TOKENS), completion.choices().get(0).message().content().orElseThrow());
        CompletionUsage usage = completion.usage().orElseThrow();
        assertEquals(FakeServices.TOKENS.size(), usage.completionTokens());
        assertTrue(usage._additionalProperties().containsKey("time_to_first_token"));
        assertTrue(usage._additionalProperties().containsKey("completion_tokens_after_first_per_sec"));
    }

    @Test
    void sdkReadsAStreamedChatCompletionWithItsUsageChunk() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("sim-chat")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunks::add);
        }
        StringBuilder text = new StringBuilder();
        chunks.stream().filter(c -> !c.choices().isEmpty())
                .forEach(c -> c.choices().get(0).delta().content().ifPresent(text::append));
        assertEquals(String.join("", FakeServices.TOKENS), text.toString());
        CompletionUsage usage = chunks.get(chunks.size() - 1).usage().orElseThrow();
        assertEquals(FakeServices.TOKENS.size(), usage.completionTokens());
        assertEquals(7, usage.promptTokens());
        assertTrue(usage._additionalProperties().containsKey("total_latency"));
    }

    @Test
    void sdkStreamWithoutIncludeUsageHasNoUsageChunk() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                .createStreaming(chat("sim-chat").build())) {
            stream.stream().forEach(chunks::add);
        }
        assertTrue(chunks.stream().allMatch(c -> c.usage().isEmpty()));
    }

    @Test
    void sdkReadsALegacyCompletion() {
        Completion completion = client.completions().create(CompletionCreateParams.builder()
                .model(CompletionCreateParams.Model.of("sim-chat")).prompt("Say hi").build());
        assertEquals(String.join("", FakeServices.TOKENS), completion.choices().get(0).text());
    }

    @Test
    void sdkReadsAResponsesApiAnswerStreamedAndNot() {
        ResponseCreateParams params = ResponseCreateParams.builder().model("sim-chat").input("hi").build();
        Response response = client.responses().create(params);
        String text = response.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow()
                .text();
        assertEquals(String.join("", FakeServices.TOKENS), text);

        StringBuilder streamed = new StringBuilder();
        List<String> types = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params)) {
            stream.stream().forEach(event -> {
                event.outputTextDelta().ifPresent(d -> streamed.append(d.delta()));
                event.completed().ifPresent(c -> types.add("completed"));
            });
        }
        assertEquals(String.join("", FakeServices.TOKENS), streamed.toString());
        assertEquals(List.of("completed"), types);
    }

    @Test
    void sdkSeesUnknownModelAsNotFound() {
        NotFoundException e = org.junit.jupiter.api.Assertions.assertThrows(NotFoundException.class,
                () -> client.chat().completions().create(chat("no-such-model").build()));
        assertEquals("model_not_found", e.code().orElseThrow());
    }

    @Test
    void sdkAbortMidStreamClosesTheUpstream() {
        String correlation = UUID.randomUUID().toString();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("sim-slow")
                .putAdditionalHeader("X-Correlation-Id", correlation).build())) {
            Iterator<ChatCompletionChunk> it = stream.stream().iterator();
            for (int i = 0; i < 4; i++) {
                it.next();
            }
        }
        await().atMost(Duration.ofSeconds(3)).until(() -> FakeServices.upstreamSawClose.contains(correlation));
    }
}
