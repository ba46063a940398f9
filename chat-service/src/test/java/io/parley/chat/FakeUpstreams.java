package io.parley.chat;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * One loopback Vert.x server standing in for chat-service's peers while they are written in parallel: Keycloak
 * (discovery, JWKS with the test key, a code flow that logs in as whoever {@code login_hint} names, default alice),
 * the model registry (constraints, running models) and the inference proxy ({@code /v1/chat/completions}, streaming,
 * with the usage extras). The proxy's behaviour follows the model name:
 * <ul>
 * <li>{@code sim-model}: five deltas, the usage chunk, {@code [DONE]};</li>
 * <li>{@code fail-model}: two deltas, then an error event;</li>
 * <li>{@code vllm-fail-model}: one delta, then vLLM's own error chunk ({@code "object":"error"}) and {@code [DONE]};</li>
 * <li>{@code hang-model}: two deltas, then nothing until the client goes away (counted as a cancel);</li>
 * <li>{@code slow-model}: twenty deltas 40 ms apart, then usage and {@code [DONE]};</li>
 * <li>{@code down-model}: 503 before the first byte;</li>
 * <li>{@code flood-model}: 256 deltas of 64 KiB (16 MiB of text) as fast as it can, then usage and {@code [DONE]}.</li>
 * <li>{@code reason-model}: two reasoning deltas as vLLM's reasoning parser streams them
 * ({@code delta.reasoning_content}), then the five deltas, usage with
 * {@code completion_tokens_details.reasoning_tokens};</li>
 * <li>{@code completion-model} (task {@code completion}): {@code /v1/completions} only, legacy chunks
 * ({@code choices[0].text}) and the usage chunk;</li>
 * <li>{@code embed-model} (task {@code embedding}).</li>
 * </ul>
 * The registry lists every model but {@code down-model} as running; {@code GET /v1/models} lists {@code down-model}
 * as {@code Pending} with a reason.
 * The same models answer on {@code /v1/responses} (Responses events, usage in {@code response.completed}) and
 * {@code /v1/messages} (Anthropic events, usage in {@code message_delta}), with the proxy's server metrics as extra
 * usage fields on every endpoint.
 * Tests read {@code GET /_fake/requests} (every proxy request: path, headers and body; a string longer than 64 KiB
 * is recorded as {@code sha256:<hex>:<length>}) and {@code GET /_fake/cancels}.
 */
public class FakeUpstreams implements QuarkusTestResourceLifecycleManager {

    public static final List<String> SIM_DELTAS = List.of("Hello", " from", " the", " simulator", ".");
    static final Set<String> MODELS = Set.of("sim-model", "fail-model", "vllm-fail-model", "hang-model", "slow-model",
            "down-model", "flood-model", "reason-model", "completion-model", "embed-model");
    static final List<String> REASONING = List.of("Let me", " think.");
    static final String DOWN_REASON = "pod down-model-default-0 not ready: ContainersNotReady";
    static final String CHANGES_SNAPSHOT = "{\"revision\":7,\"stale\":false,\"models\":[{\"id\":\"static/local-simulator/"
            + "sim-model\",\"name\":\"sim-model\",\"deployment\":\"local-simulator\",\"state\":\"Ready\"}]}";
    static final String CHANGES_DELTA = "{\"revision\":8,\"base_revision\":7,\"stale\":true,\"upserted\":[{\"id\":"
            + "\"static/local-simulator/slow-model\",\"name\":\"slow-model\",\"state\":\"Pending\"}],"
            + "\"removed\":[\"static/local-simulator/sim-model\"]}";
    static final String CHANGES_LEGACY = "{\"revision\":9,\"models\":[]}";
    static final List<String> FLOOD = java.util.Collections.nCopies(256, "x".repeat(64 * 1024));

    private Vertx vertx;
    private HttpServer server;
    private final List<JsonObject> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger cancels = new AtomicInteger();
    private String base;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(this::handle);
        try {
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("fake upstreams did not start", e);
        }
        base = "http://127.0.0.1:" + server.actualPort();
        return Map.of(
                "quarkus.oidc.auth-server-url", base + "/realms/parley",
                "quarkus.oidc.credentials.secret", "test-secret",
                "parley.registry.url", base,
                "parley.proxy.url", base,
                "quarkus.rest-client.registry.url", base,
                "fake.upstreams.url", base);
    }

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        }
    }

    private void handle(HttpServerRequest req) {
        String path = req.path();
        HttpServerResponse res = req.response();
        if (path.equals("/realms/parley/.well-known/openid-configuration")) {
            String realm = base + "/realms/parley";
            json(res, 200, new JsonObject()
                    .put("issuer", TestTokens.ISSUER)
                    .put("authorization_endpoint", realm + "/protocol/openid-connect/auth")
                    .put("token_endpoint", realm + "/protocol/openid-connect/token")
                    .put("jwks_uri", realm + "/protocol/openid-connect/certs")
                    .put("end_session_endpoint", realm + "/protocol/openid-connect/logout")
                    .put("response_types_supported", new JsonArray().add("code"))
                    .put("id_token_signing_alg_values_supported", new JsonArray().add("RS256")));
        } else if (path.endsWith("/protocol/openid-connect/certs")) {
            json(res, 200, new JsonObject().put("keys", new JsonArray().add(jwk())));
        } else if (path.endsWith("/protocol/openid-connect/auth")) {
            String user = req.getParam("login_hint", "alice");
            String location = req.getParam("redirect_uri") + "?code=code-" + user + "&state=" + req.getParam("state");
            res.setStatusCode(302).putHeader("Location", location).end();
        } else if (path.endsWith("/protocol/openid-connect/token")) {
            req.setExpectMultipart(true);
            req.end().onSuccess(v -> {
                String code = req.getFormAttribute("code");
                String user = code != null && code.startsWith("code-") ? code.substring(5) : "alice";
                json(res, 200, new JsonObject()
                        .put("access_token", TestTokens.user(user, "user"))
                        .put("id_token", TestTokens.token(user, Set.of("user"), Map.of("aud", "parley-web")))
                        .put("refresh_token", "refresh-" + user)
                        .put("token_type", "Bearer")
                        .put("expires_in", 3600));
            });
        } else if (path.equals("/_fake/requests")) {
            json(res, 200, new JsonObject().put("requests", new JsonArray(List.copyOf(requests))));
        } else if (path.equals("/_fake/cancels")) {
            json(res, 200, new JsonObject().put("cancels", cancels.get()));
        } else if (path.equals("/v1/models/changes")) {
            if (!authorized(req)) {
                return;
            }
            // the registry's change stream as docs/architecture.md has it, plus an older registry's event
            res.setChunked(true).putHeader("Content-Type", "text/event-stream");
            res.write(": keep-alive\n\n");
            res.write("event: snapshot\nid: 7\ndata: " + CHANGES_SNAPSHOT + "\n\n");
            res.write("event: delta\nid: 8\ndata: " + CHANGES_DELTA + "\n\n");
            res.write("event: models\nid: 9\ndata: " + CHANGES_LEGACY + "\n\n");
            // left open, as the registry's; the client closes it
        } else if (path.equals("/v1/models/running") || path.equals("/v1/models")) {
            if (!authorized(req)) {
                return;
            }
            boolean all = path.equals("/v1/models");
            JsonArray models = new JsonArray().add(entry("sim-model"));
            MODELS.stream().sorted().filter(m -> !m.equals("sim-model") && (all || !m.equals("down-model")))
                    .forEach(m -> models.add(entry(m)));
            json(res, 200, new JsonObject().put("models", models));
        } else if (path.startsWith("/v1/models/") && path.endsWith("/constraints")) {
            if (!authorized(req)) {
                return;
            }
            String name = path.substring("/v1/models/".length(), path.length() - "/constraints".length());
            if (!MODELS.contains(name)) {
                json(res, 404, error("model '" + name + "' not found", "model_not_found"));
                return;
            }
            json(res, 200, new JsonObject().put("served_model_name", name).put("engine_type", "vllm")
                    .put("task", task(name)).put("context_size", 4096).put("max_model_len", 4096)
                    .put("max_tokens_default", 512).put("request_defaults", new JsonObject())
                    .put("supports_streaming", true).put("supports_system_prompt", true));
        } else if (path.equals("/v1/chat/completions")) {
            completions(req);
        } else if (path.equals("/v1/completions")) {
            textCompletions(req);
        } else if (path.equals("/v1/responses") || path.equals("/v1/messages")) {
            translated(req, path.equals("/v1/messages"));
        } else {
            json(res, 404, error("no route " + path, "not_found"));
        }
    }

    static String task(String model) {
        return switch (model) {
            case "completion-model" -> "completion";
            case "embed-model" -> "embedding";
            default -> "chat";
        };
    }

    private static JsonObject entry(String model) {
        boolean down = model.equals("down-model");
        return new JsonObject().put("id", "static/local-simulator/" + model).put("name", model)
                .put("deployment", "local-simulator").put("engine_type", "vllm").put("task", task(model))
                .put("capabilities", new JsonArray().add(task(model).equals("embedding") ? "embeddings" : "text"))
                .put("state", down ? "Pending" : "Ready").put("reason", down ? DOWN_REASON : null)
                .put("max_model_len", 4096);
    }

    /**
     * {@code /v1/completions} as vLLM streams it: {@code text_completion} chunks with {@code choices[0].text}, the
     * usage chunk ({@code stream_options.include_usage}), {@code [DONE]}.
     */
    private void textCompletions(HttpServerRequest req) {
        req.body().onSuccess(buf -> {
            record(req, buf);
            HttpServerResponse res = req.response();
            if (!authorized(req)) {
                return;
            }
            res.setChunked(true).putHeader("Content-Type", "text/event-stream");
            List<String> words = List.of(" upon", " a", " time");
            for (String w : words) {
                res.write("data: " + new JsonObject().put("id", "cmpl-1").put("object", "text_completion")
                        .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("text", w)
                                .putNull("logprobs").putNull("finish_reason")))
                        .encode() + "\n\n");
            }
            finish(res, words.size());
        });
    }

    private boolean authorized(HttpServerRequest req) {
        String auth = req.getHeader("Authorization");
        if (auth == null || !auth.startsWith("Bearer ey")) {
            json(req.response(), 401, error("missing bearer token", "unauthorized"));
            return false;
        }
        return true;
    }

    /** Reads bodies with attachments of any size (Jackson's default refuses strings over 20 million chars). */
    private static final com.fasterxml.jackson.databind.ObjectMapper LENIENT = new com.fasterxml.jackson.databind.ObjectMapper();
    static {
        LENIENT.getFactory().setStreamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE).build());
    }

    @SuppressWarnings("unchecked")
    private JsonObject record(HttpServerRequest req, io.vertx.core.buffer.Buffer buf) {
        JsonObject body;
        try {
            body = new JsonObject(LENIENT.readValue(buf.getBytes(), Map.class));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        JsonObject headers = new JsonObject();
        req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
        requests.add(new JsonObject().put("path", req.path()).put("headers", headers)
                .put("body", (JsonObject) digestLongStrings(body.copy())));
        return body;
    }

    /** Keeps the recorded requests small: long strings (attachment data) become their SHA-256 and length. */
    static Object digestLongStrings(Object value) {
        if (value instanceof JsonObject o) {
            o.fieldNames().forEach(k -> o.put(k, digestLongStrings(o.getValue(k))));
            return o;
        }
        if (value instanceof JsonArray a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, digestLongStrings(a.getValue(i)));
            }
            return a;
        }
        if (value instanceof String s && s.length() > 65536) {
            return "sha256:" + sha256(s) + ":" + s.length();
        }
        return value;
    }

    public static String sha256(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code /v1/responses} and {@code /v1/messages}: the same models as chat completions, in those APIs' events. */
    private void translated(HttpServerRequest req, boolean anthropic) {
        req.body().onSuccess(buf -> {
            JsonObject body = record(req, buf);
            HttpServerResponse res = req.response();
            if (!authorized(req)) {
                return;
            }
            String model = body.getString("model");
            if ("down-model".equals(model)) {
                if (anthropic) {
                    json(res, 503, new JsonObject().put("type", "error").put("error", new JsonObject()
                            .put("type", "overloaded_error").put("message", "model 'down-model' is not ready")));
                } else {
                    json(res, 503, error("model 'down-model' is not ready", "model_not_ready"));
                }
                return;
            }
            res.setChunked(true).putHeader("Content-Type", "text/event-stream")
                    .putHeader("X-Correlation-Id", req.getHeader("X-Correlation-Id"));
            Events ev = anthropic ? new AnthropicEvents(res) : new ResponsesEvents(res);
            ev.start();
            switch (model) {
                case "fail-model" -> stepEvents(res, ev, List.of("partial", " answer"), 0, 5, () -> {
                    ev.fail("upstream pod failed mid-stream");
                    res.end();
                });
                case "hang-model" -> {
                    res.closeHandler(v -> cancels.incrementAndGet());
                    stepEvents(res, ev, List.of("thinking", " hard"), 0, 5, () -> {
                    });
                }
                case "slow-model" -> stepEvents(res, ev, java.util.stream.IntStream.range(0, 20)
                        .mapToObj(i -> "w" + i + " ").toList(), 0, 40, () -> ev.finish(20));
                default -> stepEvents(res, ev, SIM_DELTAS, 0, 5, () -> ev.finish(SIM_DELTAS.size()));
            }
        });
    }

    private void stepEvents(HttpServerResponse res, Events ev, List<String> deltas, int i, long gapMs, Runnable then) {
        if (res.closed() || res.ended()) {
            return;
        }
        if (i == deltas.size()) {
            then.run();
            return;
        }
        ev.delta(deltas.get(i));
        vertx.setTimer(gapMs, t -> stepEvents(res, ev, deltas, i + 1, gapMs, then));
    }

    /** The server metrics the proxy adds to every endpoint's usage. */
    static JsonObject serverMetrics(JsonObject usage) {
        return usage.put("time_to_first_token", 0.0815).put("total_latency", 0.9302)
                .put("completion_tokens_after_first_per_sec", 47.1);
    }

    private interface Events {
        void start();

        void delta(String text);

        void finish(int tokens);

        void fail(String message);
    }

    private static void event(HttpServerResponse res, String name, JsonObject data) {
        res.write("event: " + name + "\ndata: " + data.encode() + "\n\n");
    }

    private record ResponsesEvents(HttpServerResponse res) implements Events {
        @Override
        public void start() {
            JsonObject response = new JsonObject().put("id", "resp_1").put("object", "response")
                    .put("status", "in_progress").put("output", new JsonArray());
            event(res, "response.created", new JsonObject().put("type", "response.created").put("response", response));
            event(res, "response.output_item.added", new JsonObject().put("type", "response.output_item.added")
                    .put("output_index", 0));
        }

        @Override
        public void delta(String text) {
            event(res, "response.output_text.delta", new JsonObject().put("type", "response.output_text.delta")
                    .put("item_id", "msg_1").put("output_index", 0).put("content_index", 0).put("delta", text));
        }

        @Override
        public void finish(int tokens) {
            JsonObject usage = serverMetrics(new JsonObject().put("input_tokens", 12).put("output_tokens", tokens)
                    .put("total_tokens", 12 + tokens));
            event(res, "response.output_text.done", new JsonObject().put("type", "response.output_text.done"));
            event(res, "response.completed", new JsonObject().put("type", "response.completed").put("response",
                    new JsonObject().put("id", "resp_1").put("status", "completed").put("usage", usage)));
            res.end();
        }

        @Override
        public void fail(String message) {
            event(res, "error", new JsonObject().put("type", "error").put("code", "upstream_error")
                    .put("message", message).putNull("param"));
        }
    }

    private record AnthropicEvents(HttpServerResponse res) implements Events {
        @Override
        public void start() {
            event(res, "message_start", new JsonObject().put("type", "message_start").put("message", new JsonObject()
                    .put("id", "msg_1").put("type", "message").put("role", "assistant")
                    .put("usage", new JsonObject().put("input_tokens", 0).put("output_tokens", 0))));
            event(res, "content_block_start", new JsonObject().put("type", "content_block_start").put("index", 0)
                    .put("content_block", new JsonObject().put("type", "text").put("text", "")));
            event(res, "ping", new JsonObject().put("type", "ping"));
        }

        @Override
        public void delta(String text) {
            event(res, "content_block_delta", new JsonObject().put("type", "content_block_delta").put("index", 0)
                    .put("delta", new JsonObject().put("type", "text_delta").put("text", text)));
        }

        @Override
        public void finish(int tokens) {
            event(res, "content_block_stop", new JsonObject().put("type", "content_block_stop").put("index", 0));
            event(res, "message_delta", new JsonObject().put("type", "message_delta")
                    .put("delta", new JsonObject().put("stop_reason", "end_turn"))
                    .put("usage", serverMetrics(new JsonObject().put("input_tokens", 12).put("output_tokens", tokens))));
            event(res, "message_stop", new JsonObject().put("type", "message_stop"));
            res.end();
        }

        @Override
        public void fail(String message) {
            event(res, "error", new JsonObject().put("type", "error").put("error", new JsonObject()
                    .put("type", "api_error").put("message", message)));
        }
    }

    private void completions(HttpServerRequest req) {
        req.body().onSuccess(buf -> {
            JsonObject body = record(req, buf);
            HttpServerResponse res = req.response();
            if (!authorized(req)) {
                return;
            }
            String model = body.getString("model");
            if ("down-model".equals(model)) {
                json(res, 503, error("model 'down-model' is not ready: pod default-0 not ready", "model_not_ready"));
                return;
            }
            res.setChunked(true).putHeader("Content-Type", "text/event-stream")
                    .putHeader("X-Correlation-Id", req.getHeader("X-Correlation-Id"));
            switch (model) {
                case "fail-model" -> send(res, List.of("partial", " answer"), 5, () -> {
                    res.write("data: " + error("upstream pod failed mid-stream", "upstream_error").encode() + "\n\n");
                    res.end();
                });
                case "vllm-fail-model" -> send(res, List.of("half"), 5, () -> {
                    res.write("data: " + new JsonObject().put("object", "error").put("message", "engine crashed")
                            .put("type", "InternalServerError").put("code", 500).encode() + "\n\n");
                    res.end("data: [DONE]\n\n");
                });
                case "hang-model" -> {
                    res.closeHandler(v -> cancels.incrementAndGet());
                    send(res, List.of("thinking", " hard"), 5, () -> {
                    });
                }
                case "slow-model" -> send(res, java.util.stream.IntStream.range(0, 20).mapToObj(i -> "w" + i + " ")
                        .toList(), 40, () -> finish(res, 20));
                case "flood-model" -> send(res, FLOOD, 1, () -> finish(res, FLOOD.size()));
                case "reason-model" -> {
                    // vLLM with a reasoning parser: reasoning deltas first, then the answer
                    res.write("data: " + chunk(new JsonObject().put("role", "assistant").put("content", "")).encode()
                            + "\n\n");
                    for (String r : REASONING) {
                        res.write("data: " + chunk(new JsonObject().put("reasoning_content", r)).encode() + "\n\n");
                    }
                    step(res, SIM_DELTAS, 0, 5, () -> {
                        JsonObject usage = new JsonObject().put("prompt_tokens", 12).put("completion_tokens", 8)
                                .put("total_tokens", 20).put("completion_tokens_details",
                                        new JsonObject().put("reasoning_tokens", 3))
                                .put("time_to_first_token", 0.0815).put("total_latency", 0.9302)
                                .put("completion_tokens_after_first_per_sec", 47.1);
                        res.write("data: " + new JsonObject().put("id", "chatcmpl-1")
                                .put("object", "chat.completion.chunk").put("choices", new JsonArray())
                                .put("usage", usage).encode() + "\n\n");
                        res.end("data: [DONE]\n\n");
                    });
                }
                default -> send(res, SIM_DELTAS, 5, () -> finish(res, SIM_DELTAS.size()));
            }
        });
    }

    private void send(HttpServerResponse res, List<String> deltas, long gapMs, Runnable then) {
        res.write("data: " + chunk(new JsonObject().put("role", "assistant").put("content", "")).encode() + "\n\n");
        step(res, deltas, 0, gapMs, then);
    }

    private void step(HttpServerResponse res, List<String> deltas, int i, long gapMs, Runnable then) {
        if (res.closed() || res.ended()) {
            return;
        }
        if (i == deltas.size()) {
            then.run();
            return;
        }
        res.write("data: " + chunk(new JsonObject().put("content", deltas.get(i))).encode() + "\n\n");
        vertx.setTimer(gapMs, t -> step(res, deltas, i + 1, gapMs, then));
    }

    private static void finish(HttpServerResponse res, int tokens) {
        JsonObject usage = new JsonObject().put("prompt_tokens", 12).put("completion_tokens", tokens)
                .put("total_tokens", 12 + tokens).put("time_to_first_token", 0.0815).put("total_latency", 0.9302)
                .put("completion_tokens_after_first_per_sec", 47.1);
        res.write("data: " + new JsonObject().put("id", "chatcmpl-1").put("object", "chat.completion.chunk")
                .put("choices", new JsonArray()).put("usage", usage).encode() + "\n\n");
        res.end("data: [DONE]\n\n");
    }

    private static JsonObject chunk(JsonObject delta) {
        return new JsonObject().put("id", "chatcmpl-1").put("object", "chat.completion.chunk")
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("delta", delta)));
    }

    private static JsonObject error(String message, String code) {
        return new JsonObject().put("error", new JsonObject().put("message", message)
                .put("type", "invalid_request_error").put("param", (String) null).put("code", code));
    }

    private static void json(HttpServerResponse res, int status, JsonObject body) {
        res.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }

    private static JsonObject jwk() {
        try {
            var key = (RSAPublicKey) KeyFactory.getInstance("RSA")
                    .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(TestTokens.PUBLIC_KEY)));
            return new JsonObject().put("kty", "RSA").put("kid", "parley-test").put("alg", "RS256").put("use", "sig")
                    .put("n", b64(key.getModulus())).put("e", b64(key.getPublicExponent()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String b64(BigInteger v) {
        byte[] bytes = v.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
