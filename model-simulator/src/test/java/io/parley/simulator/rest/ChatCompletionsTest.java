package io.parley.simulator.rest;

import static io.parley.simulator.rest.Requests.chat;
import static io.parley.simulator.rest.Requests.postChat;
import static io.parley.simulator.rest.Requests.with;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.parley.simulator.token.Tokenizer;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

@QuarkusTest
class ChatCompletionsTest {

    private static Sse stream(Map<String, Object> body) {
        Response response = postChat(with(body, "stream", true));
        response.then().statusCode(200).header("Content-Type", startsWith("text/event-stream"));
        return Sse.parse(response.asString());
    }

    @Test
    void streamingSendsRoleChunkThenContentChunksThenUsageWhenAsked() {
        Map<String, Object> body = with(chat("fast-sim", "Tell me a story."), "max_tokens", 10);
        body.put("stream_options", Map.of("include_usage", true));
        Sse sse = stream(body);

        assertTrue(sse.done(), "ends with [DONE]");
        List<JsonNode> chunks = sse.choiceEvents();
        assertTrue(chunks.size() >= 5, "several chunks, got " + chunks.size());
        JsonNode first = chunks.get(0);
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        assertTrue(first.get("id").asText().startsWith("chatcmpl-"));
        assertTrue(first.at("/choices/0/logprobs").isNull());
        chunks.subList(1, chunks.size()).forEach(c -> assertFalse(c.at("/choices/0/delta").has("role")));
        assertEquals("length", chunks.get(chunks.size() - 1).at("/choices/0/finish_reason").asText());
        chunks.subList(0, chunks.size() - 1).forEach(c -> assertTrue(c.at("/choices/0/finish_reason").isNull()));

        JsonNode usage = sse.events().get(sse.events().size() - 1);
        assertEquals(0, usage.get("choices").size());
        int prompt = 3 + 4 + Tokenizer.count("Tell me a story.");
        assertEquals(prompt, usage.at("/usage/prompt_tokens").asInt());
        assertEquals(10, usage.at("/usage/completion_tokens").asInt());
        assertEquals(prompt + 10, usage.at("/usage/total_tokens").asInt());
        assertEquals(10, Tokenizer.count(sse.content()));
    }

    @Test
    void streamingWithoutIncludeUsageSendsNoUsageChunk() {
        Sse sse = stream(with(chat("fast-sim", "Hi"), "max_tokens", 5));
        assertTrue(sse.done());
        assertEquals(sse.events().size(), sse.choiceEvents().size());
        sse.events().forEach(e -> assertFalse(e.has("usage"), "no usage in " + e));
    }

    @Test
    void nonStreamingUsageMatchesTheCountingRuleAndTheAnswer() {
        JsonNode response = postChat(with(chat("echo-fast", "Hello there, friend!"), "temperature", 0.7))
                .then().statusCode(200).extract().as(JsonNode.class);
        assertEquals("chat.completion", response.get("object").asText());
        assertEquals("Hello there, friend!", response.at("/choices/0/message/content").asText());
        assertEquals("assistant", response.at("/choices/0/message/role").asText());
        assertEquals("stop", response.at("/choices/0/finish_reason").asText());
        assertEquals(3 + 4 + 5, response.at("/usage/prompt_tokens").asInt());
        assertEquals(5, response.at("/usage/completion_tokens").asInt());
        assertEquals(3 + 4 + 5 + 5, response.at("/usage/total_tokens").asInt());
    }

    @Test
    void imageAudioAndFileContentPartsAreAcceptedAndEachCountsSixteenPromptTokens() {
        List<Object> parts = List.of(
                Map.of("type", "text", "text", "Hello there, friend!"),
                Map.of("type", "image_url", "image_url", Map.of("url", "data:image/png;base64,iVBORw0KGgo=")),
                Map.of("type", "input_audio", "input_audio", Map.of("data", "UklGRiQAAABXQVZF", "format", "wav")),
                Map.of("type", "file", "file", Map.of("filename", "spec.pdf",
                        "file_data", "data:application/pdf;base64,JVBERi0xLjQK")));
        Map<String, Object> body = new java.util.HashMap<>(Map.of("model", "fast-sim", "max_tokens", 5,
                "messages", List.of(Map.of("role", "user", "content", parts))));
        JsonNode response = postChat(body).then().statusCode(200).extract().as(JsonNode.class);
        assertEquals(5, response.at("/usage/completion_tokens").asInt());
        assertEquals(3 + 4 + Tokenizer.count("Hello there, friend!") + 3 * 16,
                response.at("/usage/prompt_tokens").asInt(), "the text counts its tokens, each other part 16");
    }

    @Test
    void maxTokensEndsTheAnswerWithFinishReasonLength() {
        JsonNode response = postChat(with(chat("fast-sim", "Go on"), "max_tokens", 7)).then().statusCode(200)
                .extract().as(JsonNode.class);
        assertEquals("length", response.at("/choices/0/finish_reason").asText());
        assertEquals(7, response.at("/usage/completion_tokens").asInt());
        assertEquals(7, Tokenizer.count(response.at("/choices/0/message/content").asText()));
    }

    @Test
    void maxCompletionTokensIsHonouredLikeMaxTokens() {
        postChat(with(chat("fast-sim", "Go on"), "max_completion_tokens", 4)).then().statusCode(200)
                .body("usage.completion_tokens", equalTo(4)).body("choices[0].finish_reason", equalTo("length"));
    }

    @Test
    void withoutMaxTokensLoremRunsToTheConfiguredDefaultLengthAndStops() {
        postChat(chat("fast-sim", "Go on")).then().statusCode(200)
                .body("usage.completion_tokens", equalTo(20)).body("choices[0].finish_reason", equalTo("stop"));
    }

    @Test
    void outputTokensHeaderSetsTheNaturalLengthOfALoremAnswer() {
        Requests.json(chat("fast-sim", "Go on")).header("X-Simulator-Output-Tokens", "3")
                .header("X-Simulator-Itl-Ms", "0").header("X-Simulator-Ttft-Ms", "0")
                .post("/v1/chat/completions").then().statusCode(200)
                .body("usage.completion_tokens", equalTo(3)).body("choices[0].finish_reason", equalTo("stop"));
        Sse sse = Sse.parse(Requests.json(with(with(chat("fast-sim", "Go on"), "stream", true), "max_tokens", 2))
                .header("X-Simulator-Output-Tokens", "3").header("X-Simulator-Itl-Ms", "0")
                .post("/v1/chat/completions").then().statusCode(200).extract().asString());
        assertEquals(2, Tokenizer.count(sse.content()), "max_tokens still caps it");
    }

    @Test
    void stopSequenceCutsTheAnswerBeforeItWithFinishReasonStop() {
        Map<String, Object> body = with(chat("echo-fast", "alpha beta gamma delta"), "stop", List.of("gamma", "zzz"));
        postChat(body).then().statusCode(200)
                .body("choices[0].message.content", equalTo("alpha beta "))
                .body("choices[0].finish_reason", equalTo("stop"));
        Sse sse = stream(with(chat("echo-fast", "alpha beta gamma delta"), "stop", "a gam"));
        assertEquals("alpha bet", sse.content());
        JsonNode last = sse.choiceEvents().get(sse.choiceEvents().size() - 1);
        assertEquals("stop", last.at("/choices/0/finish_reason").asText());
    }

    @Test
    void echoModeRepeatsTheLastUserMessage() {
        Map<String, Object> body = Map.of("model", "echo-fast", "stream", true, "messages", List.of(
                Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "user", "content", "first question"),
                Map.of("role", "assistant", "content", "an answer"),
                Map.of("role", "user", "content", List.of(Map.of("type", "text", "text", "second, please!")))));
        Sse sse = Sse.parse(postChat(body).then().statusCode(200).extract().asString());
        assertEquals("second, please!", sse.content());
        assertTrue(sse.choiceEvents().size() >= 4, "one chunk per token plus the role chunk");
    }

    @Test
    void sameRequestGivesTheSameLoremAndTemperatureChangesIt() {
        Map<String, Object> body = with(chat("fast-sim", "Deterministic?"), "max_tokens", 15);
        String first = postChat(body).then().extract().path("choices[0].message.content");
        String second = postChat(body).then().extract().path("choices[0].message.content");
        assertEquals(first, second);
        String other = postChat(with(with(chat("fast-sim", "Deterministic?"), "max_tokens", 15), "temperature", 1.5))
                .then().extract().path("choices[0].message.content");
        assertNotEquals(first, other);
    }

    @Test
    void overTheContextLengthAnswers400WithVllmsMessage() {
        // echo-fast: max_model_len 64; prompt = 3 + 4 + 1 = 8 tokens.
        postChat(with(chat("echo-fast", "Hello"), "max_tokens", 60)).then().statusCode(400)
                .body("error.type", equalTo("BadRequestError"))
                .body("error.code", equalTo(400))
                .body("error.param", equalTo("input_tokens"))
                .body("error.message", equalTo("This model's maximum context length is 64 tokens. However, you "
                        + "requested 60 output tokens and your prompt contains at least 5 input tokens, for a total "
                        + "of at least 65 tokens. Please reduce the length of the input prompt or the number of "
                        + "requested output tokens. (parameter=input_tokens, value=5)"));
        postChat(with(chat("echo-fast", "Hello"), "max_tokens", 56)).then().statusCode(200);
    }

    @Test
    void unknownModelAnswers404InVllmShape() {
        postChat(chat("no-such-model", "Hi")).then().statusCode(404)
                .body("error.message", equalTo("The model `no-such-model` does not exist."))
                .body("error.type", equalTo("NotFoundError"))
                .body("error.param", equalTo("model"))
                .body("error.code", equalTo(404));
    }

    @Test
    void badJsonAndBadParametersAnswer400() {
        Requests.json("{\"model\": ").post("/v1/chat/completions").then().statusCode(400)
                .body("error.type", equalTo("BadRequestError")).body("error.code", equalTo(400));
        postChat(with(chat("fast-sim", "Hi"), "max_tokens", 0)).then().statusCode(400)
                .body("error.message", equalTo("max_tokens must be at least 1, got 0."));
        postChat(with(chat("fast-sim", "Hi"), "n", 2)).then().statusCode(400).body("error.param", equalTo("n"));
        postChat(with(chat("fast-sim", "Hi"), "temperature", -1)).then().statusCode(400);
        postChat(with(chat("fast-sim", "Hi"), "stop", 5)).then().statusCode(400);
        postChat(Map.of("model", "fast-sim", "messages", List.of())).then().statusCode(400);
        postChat(with(chat("fast-sim", "Hi"), "stream_options", Map.of("include_usage", true))).then()
                .statusCode(400).body("error.param", equalTo("stream_options"));
    }

    @Test
    void aReasoningModelStreamsReasoningContentBeforeTheAnswerAndCountsItsTokens() {
        Map<String, Object> body = chat("reason-sim", "Why is the sky blue?");
        body.put("stream_options", Map.of("include_usage", true));
        Sse sse = stream(body);

        List<JsonNode> chunks = sse.choiceEvents();
        StringBuilder reasoning = new StringBuilder();
        int firstContent = -1;
        int lastReasoning = -1;
        for (int i = 0; i < chunks.size(); i++) {
            JsonNode delta = chunks.get(i).at("/choices/0/delta");
            if (delta.has("reasoning_content")) {
                reasoning.append(delta.get("reasoning_content").asText());
                lastReasoning = i;
                assertFalse(delta.has("content"), "a reasoning chunk has no content: " + delta);
            } else if (delta.path("content").asText("").length() > 0 && firstContent < 0) {
                firstContent = i;
            }
        }
        // vLLM's reasoning parser output: delta.reasoning_content, then the answer in delta.content
        assertEquals("Let me think about", reasoning.toString());
        assertTrue(lastReasoning < firstContent, "reasoning comes first");
        assertEquals("Why is the sky blue?", sse.content());
        JsonNode usage = sse.events().get(sse.events().size() - 1).get("usage");
        int answer = Tokenizer.count("Why is the sky blue?");
        assertEquals(answer + 4, usage.get("completion_tokens").asInt());
        assertEquals(4, usage.at("/completion_tokens_details/reasoning_tokens").asInt());
    }

    @Test
    void aReasoningModelAnswersReasoningContentUnstreamedAndNotOnLegacyCompletions() {
        postChat(chat("reason-sim", "Hi there")).then().statusCode(200)
                .body("choices[0].message.reasoning_content", equalTo("Let me think about"))
                .body("choices[0].message.content", equalTo("Hi there"))
                .body("usage.completion_tokens_details.reasoning_tokens", equalTo(4));
        postChat(chat("fast-sim", "Hi there")).then().statusCode(200)
                .body("choices[0].message", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("reasoning_content")))
                .body("usage", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("completion_tokens_details")));
    }
}
