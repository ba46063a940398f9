package io.parley.simulator.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The official OpenAI Java SDK parses the simulator's answers, streamed and not. */
@QuarkusTest
class OpenAiSdkTest {

    @TestHTTPResource("/v1")
    URL base;

    OpenAIClient client;

    @BeforeEach
    void client() {
        client = OpenAIOkHttpClient.builder().baseUrl(base.toString()).apiKey("unused").build();
    }

    @AfterEach
    void close() {
        client.close();
    }

    @Test
    void sdkParsesANonStreamedChatCompletion() {
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("echo-fast").addUserMessage("Hello from the SDK").build());
        assertEquals("Hello from the SDK", completion.choices().get(0).message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, completion.choices().get(0).finishReason());
        assertEquals(4, completion.usage().orElseThrow().completionTokens());
    }

    @Test
    void sdkParsesAStreamedChatCompletionWithUsage() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("fast-sim")
                .addUserMessage("Stream please").maxCompletionTokens(8)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        }
        StringBuilder text = new StringBuilder();
        chunks.stream().filter(c -> !c.choices().isEmpty())
                .forEach(c -> c.choices().get(0).delta().content().ifPresent(text::append));
        assertTrue(chunks.size() >= 9, "role chunk, 8 tokens, usage");
        ChatCompletionChunk usage = chunks.get(chunks.size() - 1);
        assertEquals(8, usage.usage().orElseThrow().completionTokens());
        assertEquals(8, io.parley.simulator.token.Tokenizer.count(text.toString()));
    }
}
