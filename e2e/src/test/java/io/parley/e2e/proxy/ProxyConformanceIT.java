package io.parley.e2e.proxy;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseInputFile;
import com.openai.models.responses.ResponseInputImage;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseStreamEvent;

import io.parley.e2e.FaultFixtures;
import io.parley.e2e.PlatformExtension;
import io.parley.e2e.platform.LocalPlatform;

/**
 * Issue 4, conformance: the official OpenAI and Anthropic Java SDKs, unchanged, as clients of the running proxy in
 * front of the real model simulator, authenticated by a real Keycloak token (OpenAI) and a Parley API key
 * (Anthropic, {@code x-api-key}).
 */
@ExtendWith(PlatformExtension.class)
class ProxyConformanceIT {

    static final String MODEL = "echo-sim";
    /** The server's additions to the usage object (architecture: proxy usage chunk). */
    static final Set<String> SERVER_USAGE_FIELDS = Set.of("time_to_first_token", "total_latency",
            "completion_tokens_after_first_per_sec");

    static LocalPlatform platform;
    static OpenAIClient openai;
    static AnthropicClient anthropic;

    @BeforeAll
    static void clients(LocalPlatform started) {
        platform = started;
        String alice = ProxyE2e.token(platform, "alice");
        // the proxy lists a model once the registry's first health probe of its endpoint succeeded
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> ProxyE2e.proxy(platform, alice)
                .get("/v1/models")
                .then().statusCode(200)
                .body("data.id", hasItems(MODEL, FaultFixtures.LONG_MODEL)));
        openai = OpenAIOkHttpClient.builder().baseUrl(platform.proxyUrl() + "/v1").apiKey(alice).maxRetries(0)
                .build();
        String key = ProxyE2e.apiKey(platform, alice, "anthropic-sdk-e2e");
        anthropic = AnthropicOkHttpClient.builder().baseUrl(platform.proxyUrl()).apiKey(key).maxRetries(0).build();
    }

    @AfterAll
    static void close() {
        if (openai != null) {
            openai.close();
        }
        if (anthropic != null) {
            anthropic.close();
        }
    }

    private static ChatCompletionCreateParams.Builder chat(String model, String prompt) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage(prompt);
    }

    @Test
    void openAiSdkReadsANonStreamedChatCompletionWithTheServerFieldsInItsUsage() {
        ChatCompletion completion = openai.chat().completions().create(chat(MODEL, "Hello there, proxy!").build());

        // echo-sim answers the last user message token by token
        assertEquals("Hello there, proxy!".replace(" ", ""),
                completion.choices().get(0).message().content().orElseThrow().replace(" ", ""));
        CompletionUsage usage = completion.usage().orElseThrow();
        assertEquals(5, usage.completionTokens());
        assertTrue(usage.promptTokens() > 0);
        assertTrue(usage._additionalProperties().keySet().containsAll(
                Set.of("time_to_first_token", "completion_tokens_after_first_per_sec")),
                "raw usage: " + usage._additionalProperties());
    }

    @Test
    void openAiSdkReadsAStreamedChatCompletionEndingWithTheUsageChunk() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions().createStreaming(
                chat(MODEL, "one two three four").streamOptions(ChatCompletionStreamOptions.builder()
                        .includeUsage(true).build()).build())) {
            stream.stream().forEach(chunks::add);
        }

        StringBuilder text = new StringBuilder();
        long contentChunks = chunks.stream().filter(c -> !c.choices().isEmpty())
                .filter(c -> c.choices().get(0).delta().content().filter(s -> !s.isEmpty()).isPresent()).count();
        chunks.stream().filter(c -> !c.choices().isEmpty())
                .forEach(c -> c.choices().get(0).delta().content().ifPresent(text::append));
        assertEquals("onetwothreefour", text.toString().replace(" ", ""));
        assertTrue(contentChunks >= 4, "one chunk per token, got " + contentChunks);
        CompletionUsage usage = chunks.get(chunks.size() - 1).usage().orElseThrow();
        assertEquals(4, usage.completionTokens());
        assertTrue(usage.promptTokens() > 0);
        assertTrue(usage._additionalProperties().keySet().containsAll(SERVER_USAGE_FIELDS),
                "raw usage: " + usage._additionalProperties());
    }

    @Test
    void openAiSdkStreamWithoutIncludeUsageGetsNoUsageChunk() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions()
                .createStreaming(chat(MODEL, "no usage please").build())) {
            stream.stream().forEach(chunks::add);
        }
        assertFalse(chunks.isEmpty());
        assertTrue(chunks.stream().allMatch(c -> c.usage().isEmpty()));
    }

    @Test
    void openAiSdkReadsALegacyCompletion() {
        Completion completion = openai.completions().create(CompletionCreateParams.builder()
                .model(CompletionCreateParams.Model.of(MODEL)).prompt("Say hi").build());
        assertEquals("Sayhi", completion.choices().get(0).text().replace(" ", ""));
        assertEquals(2, completion.usage().orElseThrow().completionTokens());
    }

    @Test
    void openAiSdkReadsAResponsesApiAnswerStreamedAndNot() {
        ResponseCreateParams params = ResponseCreateParams.builder().model(MODEL).input("respond in kind").build();

        Response response = openai.responses().create(params);
        String text = response.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow()
                .text();
        assertEquals("respondinkind", text.replace(" ", ""));

        StringBuilder streamed = new StringBuilder();
        List<String> completed = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = openai.responses().createStreaming(params)) {
            stream.stream().forEach(event -> {
                event.outputTextDelta().ifPresent(d -> streamed.append(d.delta()));
                event.completed().ifPresent(c -> completed.add("completed"));
            });
        }
        assertEquals(text, streamed.toString());
        assertEquals(List.of("completed"), completed);
    }

    @Test
    void anthropicSdkWithAParleyApiKeyReadsANonStreamedMessage() {
        Message message = anthropic.messages().create(MessageCreateParams.builder().model(MODEL).maxTokens(32)
                .addUserMessage("Bonjour from Anthropic").build());
        assertEquals("BonjourfromAnthropic", message.content().get(0).text().orElseThrow().text().replace(" ", ""));
        assertEquals(StopReason.END_TURN, message.stopReason().orElseThrow());
        assertEquals(3, message.usage().outputTokens());
        assertTrue(message.usage().inputTokens() > 0);
    }

    @Test
    void anthropicSdkWithAParleyApiKeyReadsAStreamedMessage() {
        StringBuilder text = new StringBuilder();
        long[] outputTokens = { -1 };
        List<String> kinds = new ArrayList<>();
        try (com.anthropic.core.http.StreamResponse<RawMessageStreamEvent> stream = anthropic.messages()
                .createStreaming(MessageCreateParams.builder().model(MODEL).maxTokens(32)
                        .addUserMessage("streamed message here").build())) {
            stream.stream().forEach(event -> {
                event.messageStart().ifPresent(s -> kinds.add("message_start"));
                event.contentBlockDelta().ifPresent(d -> d.delta().text().ifPresent(t -> text.append(t.text())));
                event.messageDelta().ifPresent(d -> outputTokens[0] = d.usage().outputTokens());
                event.messageStop().ifPresent(s -> kinds.add("message_stop"));
            });
        }
        assertEquals("streamedmessagehere", text.toString().replace(" ", ""));
        assertEquals(3, outputTokens[0]);
        assertEquals(List.of("message_start", "message_stop"), kinds);
    }

    @Test
    void parleyOverridesHeaderIsMergedIntoWhatTheSimulatorReceives() {
        HttpResponseFor<ChatCompletion> raw = openai.chat().completions().withRawResponse().create(
                chat(MODEL, "one two three four five").putAdditionalHeader("X-Parley-Overrides", "{\"max_tokens\":2}")
                        .build());
        assertEquals(List.of("max_tokens"), raw.headers().values("X-Parley-Overrides-Applied"));
        ChatCompletion completion = raw.parse();
        // echo-sim would echo all five tokens; the override cut it to two
        assertEquals(2, completion.usage().orElseThrow().completionTokens());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, completion.choices().get(0).finishReason());

        BadRequestException refused = assertThrows(BadRequestException.class, () -> openai.chat().completions()
                .create(chat(MODEL, "hi").putAdditionalHeader("X-Parley-Overrides", "{\"model\":\"other\"}").build()));
        assertEquals(Optional.of("X-Parley-Overrides"), refused.param());
    }

    @Test
    void openAiSdkSendsImageAndFileInputsThroughTheResponsesApiAndTheirAuditReachesUsage() {
        String text = "what is in this image";
        String correlation = "responses-parts-" + UUID.randomUUID();
        ResponseInputItem.Message withParts = ResponseInputItem.Message.builder()
                .role(ResponseInputItem.Message.Role.USER)
                .addInputTextContent(text)
                .addContent(ResponseInputImage.builder().imageUrl("data:image/png;base64,iVBORw0KGgo=")
                        .detail(ResponseInputImage.Detail.AUTO).build())
                .addContent(ResponseInputFile.builder().filename("spec.pdf")
                        .fileData("data:application/pdf;base64,JVBERi0xLjQK").build())
                .build();
        Response answer = openai.responses().create(ResponseCreateParams.builder().model(MODEL)
                .inputOfResponse(List.of(ResponseInputItem.ofMessage(withParts)))
                .putAdditionalHeader("X-Correlation-Id", correlation).build());
        Response textOnly = openai.responses().create(ResponseCreateParams.builder().model(MODEL)
                .inputOfResponse(List.of(ResponseInputItem.ofMessage(ResponseInputItem.Message.builder()
                        .role(ResponseInputItem.Message.Role.USER).addInputTextContent(text).build())))
                .build());

        // echo-sim echoes the text part; the simulator counts each image or file part as 16 prompt tokens
        assertEquals(text.replace(" ", ""), answer.output().get(0).message().orElseThrow().content().get(0)
                .outputText().orElseThrow().text().replace(" ", ""));
        assertEquals(textOnly.usage().orElseThrow().inputTokens() + 2 * 16, answer.usage().orElseThrow().inputTokens());
        assertTrue(answer.usage().orElseThrow()._additionalProperties().keySet().containsAll(SERVER_USAGE_FIELDS),
                "raw usage: " + answer.usage().orElseThrow()._additionalProperties());

        String admin = ProxyE2e.token(platform, "admin");
        List<Map<String, Object>> rows = await().atMost(Duration.ofSeconds(30))
                .until(() -> ProxyE2e.usageRows(platform, admin, correlation), r -> !r.isEmpty());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> attachments = (List<Map<String, Object>>) rows.get(0).get("attachments");
        assertEquals(List.of("image/png", "application/pdf"), attachments.stream().map(a -> a.get("mime_type")).toList());
        assertTrue(attachments.stream().allMatch(a -> a.keySet().equals(Set.of("mime_type", "size_bytes", "sha256"))),
                "only mime type, size and digest: " + attachments);
    }

    @Test
    void translatedStreamsCarryTheServerFieldsInTheirUsage() {
        List<Set<String>> responsesUsage = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = openai.responses().createStreaming(
                ResponseCreateParams.builder().model(MODEL).input("metrics please").build())) {
            stream.stream().forEach(event -> event.completed().ifPresent(c -> responsesUsage.add(
                    c.response().usage().orElseThrow()._additionalProperties().keySet())));
        }
        assertEquals(1, responsesUsage.size());
        assertTrue(responsesUsage.get(0).containsAll(SERVER_USAGE_FIELDS), "response.completed usage: " + responsesUsage);

        List<Set<String>> messagesUsage = new ArrayList<>();
        try (com.anthropic.core.http.StreamResponse<RawMessageStreamEvent> stream = anthropic.messages()
                .createStreaming(MessageCreateParams.builder().model(MODEL).maxTokens(32)
                        .addUserMessage("metrics please").build())) {
            stream.stream().forEach(event -> event.messageDelta().ifPresent(
                    d -> messagesUsage.add(d.usage()._additionalProperties().keySet())));
        }
        assertEquals(1, messagesUsage.size());
        assertTrue(messagesUsage.get(0).containsAll(SERVER_USAGE_FIELDS), "message_delta usage: " + messagesUsage);
    }

    @Test
    void openAiSdkClosingAStreamEarlyMakesTheSimulatorSeeTheClientGoAway() {
        String model = FaultFixtures.LONG_MODEL;
        double before = ProxyE2e.simulatorMetric(platform.simulatorUrl(), "simulator_client_disconnects_total", model);

        try (StreamResponse<ChatCompletionChunk> stream = openai.chat().completions()
                .createStreaming(chat(model, "a very long story").build())) {
            Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
            for (int i = 0; i < 4; i++) {
                chunks.next();
            }
        }

        // the 2000-token answer would run 40 s; the proxy resets the upstream request when the SDK goes away
        await().atMost(Duration.ofSeconds(20)).until(() -> ProxyE2e.simulatorMetric(platform.simulatorUrl(),
                "simulator_client_disconnects_total", model) > before);
    }
}
