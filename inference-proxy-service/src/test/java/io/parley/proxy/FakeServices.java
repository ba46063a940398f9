package io.parley.proxy;

import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Loopback fakes of the proxy's three peers: a registry ({@code /v1/models[/running]}), a usage-service
 * ({@code POST /v1/usage/events}, can be switched down) and an OpenAI-compatible upstream whose behaviour depends on the
 * model name. State is static so tests can observe and steer it.
 */
public class FakeServices implements QuarkusTestResourceLifecycleManager {

    public static final String USAGE_CHUNK_MARK = "\"choices\":[],\"usage\"";

    /** Every chat/completions request body the upstream received. */
    public static final List<JsonObject> upstreamRequests = new CopyOnWriteArrayList<>();
    /** Exact bytes the upstream sent, by the proxy's X-Request-Id. */
    public static final Map<String, Buffer> upstreamSent = new ConcurrentHashMap<>();
    /** X-Correlation-Ids whose upstream connection closed before the upstream finished its answer. */
    public static final Set<String> upstreamSawClose = ConcurrentHashMap.newKeySet();
    /** The Authorization header the upstream received, by X-Correlation-Id ("" when none). */
    public static final Map<String, String> upstreamAuthorizations = new ConcurrentHashMap<>();
    /** X-Correlation-Ids of every request the upstream received. */
    public static final Set<String> upstreamCorrelations = ConcurrentHashMap.newKeySet();
    /** X-Request-Ids whose first attempt reached the upstream (to see retries). */
    public static final Map<String, AtomicInteger> upstreamAttempts = new ConcurrentHashMap<>();
    /** Content events the test client has seen, for the lock-step model. */
    public static final AtomicInteger clientSeenContent = new AtomicInteger();
    /** Whether the lock-step upstream ever had to send without the client having seen the previous event. */
    public static final AtomicBoolean lockstepBroken = new AtomicBoolean();

    public static final AtomicBoolean usageDown = new AtomicBoolean();
    /** When set the registry answers 503 and drops its change streams. */
    public static final AtomicBoolean registryDown = new AtomicBoolean();
    /** Requests seen by the endpoint that always answers 503. */
    public static final AtomicInteger failingEndpointHits = new AtomicInteger();
    /** Usage events received, by request id, with how many times each arrived. */
    public static final Map<String, JsonObject> usageEvents = new ConcurrentHashMap<>();
    public static final Map<String, AtomicInteger> usageDeliveries = new ConcurrentHashMap<>();
    public static final AtomicInteger usageRejectedCalls = new AtomicInteger();

    /** Models only announced on the registry's change stream (not in its GET lists). */
    public static final JsonArray announcedModels = new JsonArray();
    private static final List<HttpServerResponse> changeStreams = new CopyOnWriteArrayList<>();
    private static final java.util.concurrent.atomic.AtomicLong revision = new java.util.concurrent.atomic.AtomicLong();
    /** Paths the upstream was called on. */
    public static final List<String> upstreamPaths = new CopyOnWriteArrayList<>();

    public static final int HUGE_ANSWER_CHARS = 16 * 1024 * 1024;

    public static final List<String> TOKENS = List.of("Hello", " there", ",", " friend", "!");

    private static Vertx vertx;
    private static String upstreamUrl;
    private static String deadUrl;
    private static String failingUrl;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        for (io.netty.util.concurrent.EventExecutor loop : vertx.nettyEventLoopGroup()) {
            try {
                loop.submit(() -> fakeThreads.add(Thread.currentThread().getId())).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            HttpServer upstream = listen(vertx.createHttpServer().requestHandler(FakeServices::upstream));
            upstreamUrl = "http://127.0.0.1:" + upstream.actualPort();
            try (ServerSocket s = new ServerSocket(0)) {
                deadUrl = "http://127.0.0.1:" + s.getLocalPort();
            }
            HttpServer failing = listen(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
                failingEndpointHits.incrementAndGet();
                req.response().setStatusCode(503).putHeader("Content-Type", "application/json")
                        .end("{\"error\":{\"message\":\"overloaded\"}}");
            })));
            failingUrl = "http://127.0.0.1:" + failing.actualPort();
            HttpServer registry = listen(vertx.createHttpServer().requestHandler(FakeServices::registry));
            HttpServer usage = listen(vertx.createHttpServer().requestHandler(FakeServices::usage));
            return Map.of(
                    "quarkus.rest-client.registry.url", "http://127.0.0.1:" + registry.actualPort(),
                    "quarkus.rest-client.usage.url", "http://127.0.0.1:" + usage.actualPort());
        } catch (Exception e) {
            throw new IllegalStateException("fake services did not start", e);
        }
    }

    private static final Set<Long> fakeThreads = ConcurrentHashMap.newKeySet();

    /** Whether a thread is one of the fakes' event loops (for the benchmark's CPU accounting). */
    public static boolean ownsThread(long threadId) {
        return fakeThreads.contains(threadId);
    }

    private static HttpServer listen(HttpServer server) throws Exception {
        return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close();
        }
    }

    // ---- registry -----------------------------------------------------------------------------------------------

    public static JsonObject model(String name, String state, String reason, String... urls) {
        return entry(name, "fake-deployment", state, reason, urls);
    }

    /** An entry of {@code deployment} (its id is {@code static/<deployment>/<name>}, as the registry's static source). */
    static JsonObject entry(String name, String deployment, String state, String reason, String... urls) {
        JsonArray endpoints = new JsonArray();
        for (String url : urls) {
            endpoints.add(new JsonObject().put("url", url).putNull("credential_ref"));
        }
        return new JsonObject().put("id", "static/" + deployment + "/" + name).put("name", name)
                .put("deployment", deployment).putNull("namespace")
                .put("source", "static").put("engine_type", "vllm").put("task", "chat").put("state", state)
                .put("reason", reason).put("endpoints", endpoints).put("max_model_len", 4096);
    }

    /** The endpoint that answers 503 before the first byte (listed first for {@code sim-503-first}). */
    static String failingUrl() {
        return failingUrl;
    }

    static JsonArray runningModels() {
        JsonArray models = new JsonArray();
        for (String name : List.of("sim-chat", "sim-lockstep", "sim-slow", "sim-hang", "sim-broken", "sim-stall", "sim-500",
                "sim-huge",
                "sim-400")) {
            models.add(model(name, "Ready", null, upstreamUrl));
        }
        models.add(model("sim-flaky", "Ready", null, deadUrl, upstreamUrl));
        models.add(model("sim-503-first", "Ready", null, failingUrl, upstreamUrl));
        return models;
    }

    /**
     * Adds a model to the registry's change stream only, and sends every follower a delta with that entry (as the
     * registry does: a snapshot on connect, then only the entries that changed).
     */
    public static synchronized void announce(JsonObject model) {
        for (int i = 0; i < announcedModels.size(); i++) {
            if (announcedModels.getJsonObject(i).getString("id").equals(model.getString("id"))) {
                announcedModels.remove(i); // an upsert replaces the entry with the same id
                break;
            }
        }
        announcedModels.add(model);
        broadcast(delta(revision.get(), new JsonArray().add(model), new JsonArray()));
    }

    /** Removes an announced model: every follower gets a delta naming its id in {@code removed}. */
    public static synchronized void retract(String name) {
        retractEntry("static/fake-deployment/" + name);
    }

    /** Removes the announced entry with this id: every follower gets a delta naming it in {@code removed}. */
    public static synchronized void retractEntry(String id) {
        for (int i = 0; i < announcedModels.size(); i++) {
            if (announcedModels.getJsonObject(i).getString("id").equals(id)) {
                JsonObject gone = (JsonObject) announcedModels.remove(i);
                broadcast(delta(revision.get(), new JsonArray(), new JsonArray().add(gone.getString("id"))));
                return;
            }
        }
    }

    /**
     * Adds a model but sends followers a delta that does not follow on from their revision (as if one was lost): a
     * follower must notice and re-read the snapshot, which has the model.
     */
    public static synchronized void announceAfterAGap(JsonObject model) {
        announcedModels.add(model);
        revision.incrementAndGet(); // the lost revision
        broadcast(delta(revision.get(), new JsonArray().add(model), new JsonArray()));
    }

    /** When set, new change streams speak the legacy protocol: a {@code models} event with the whole list. */
    public static final AtomicBoolean legacyChangeStream = new AtomicBoolean();

    /** Connections opened to the registry's change stream so far. */
    public static final AtomicInteger changeStreamConnections = new AtomicInteger();

    public static int changeStreamFollowers() {
        return (int) changeStreams.stream().filter(r -> !r.closed()).count();
    }

    private static void broadcast(String event) {
        for (HttpServerResponse res : changeStreams) {
            res.write(event);
        }
    }

    private static synchronized String delta(long base, JsonArray upserted, JsonArray removed) {
        long rev = revision.incrementAndGet();
        return "event: delta\nid: " + rev + "\ndata: " + new JsonObject().put("revision", rev)
                .put("base_revision", base).put("stale", false).put("upserted", upserted).put("removed", removed)
                .encode() + "\n\n";
    }

    private static synchronized String snapshotEvent() {
        JsonArray all = runningModels().copy();
        all.add(model("sim-pending", "Pending", "pod default-0 not ready: ContainersNotReady"));
        announcedModels.forEach(all::add);
        long rev = revision.get(); // a connection does not change the view
        if (legacyChangeStream.get()) {
            JsonArray withoutIds = new JsonArray(); // the old registry had no ids
            all.forEach(m -> withoutIds.add(((JsonObject) m).copy().put("id", (String) null)));
            all = withoutIds;
            return "event: models\nid: " + rev + "\ndata: "
                    + new JsonObject().put("revision", rev).put("models", all).encode() + "\n\n";
        }
        return "event: snapshot\nid: " + rev + "\ndata: "
                + new JsonObject().put("revision", rev).put("stale", false).put("models", all).encode() + "\n\n";
    }

    /** Takes the registry down (503, change streams dropped) or brings it back. */
    public static void registryDown(boolean down) {
        registryDown.set(down);
        if (down) {
            for (HttpServerResponse res : changeStreams) {
                res.reset();
            }
            changeStreams.clear();
        }
    }

    private static void registry(HttpServerRequest req) {
        if (registryDown.get()) {
            req.response().setStatusCode(503).end();
            return;
        }
        if (req.path().equals("/v1/models/changes")) {
            HttpServerResponse res = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
            synchronized (FakeServices.class) {
                changeStreamConnections.incrementAndGet();
                res.write(snapshotEvent());
                changeStreams.add(res);
            }
            res.closeHandler(v -> changeStreams.remove(res));
            return;
        }
        JsonArray models = runningModels();
        if (req.path().equals("/v1/models")) {
            models = models.copy();
            models.add(model("sim-pending", "Pending", "pod default-0 not ready: ContainersNotReady"));
        } else if (!req.path().equals("/v1/models/running")) {
            req.response().setStatusCode(404).end();
            return;
        }
        req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("models", models).encode());
    }

    // ---- usage-service ------------------------------------------------------------------------------------------

    private static void usage(HttpServerRequest req) {
        req.body().onSuccess(body -> {
            if (usageDown.get()) {
                usageRejectedCalls.incrementAndGet();
                req.response().setStatusCode(503).end("{\"error\":{\"message\":\"down\"}}");
                return;
            }
            JsonArray events = body.toJsonObject().getJsonArray("events");
            int accepted = 0;
            int duplicates = 0;
            for (int i = 0; i < events.size(); i++) {
                JsonObject e = events.getJsonObject(i);
                String id = e.getString("request_id");
                if (usageDeliveries.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet() == 1) {
                    accepted++;
                } else {
                    duplicates++;
                }
                usageEvents.put(id, e);
            }
            req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("accepted", accepted)
                    .put("duplicates", duplicates).put("rejected", new JsonArray()).encode());
        });
    }

    // ---- upstream -----------------------------------------------------------------------------------------------

    private static void upstream(HttpServerRequest req) {
        req.body().onSuccess(body -> {
            JsonObject request = body.toJsonObject();
            upstreamRequests.add(request);
            upstreamPaths.add(req.path());
            upstreamCorrelations.add(req.getHeader("X-Correlation-Id"));
            if (req.getHeader("X-Correlation-Id") != null) {
                upstreamAuthorizations.put(req.getHeader("X-Correlation-Id"),
                        req.getHeader("Authorization") == null ? "" : req.getHeader("Authorization"));
            }
            String requestId = req.getHeader("X-Request-Id");
            upstreamAttempts.computeIfAbsent(requestId, k -> new AtomicInteger()).incrementAndGet();
            String model = request.getString("model");
            boolean stream = request.getBoolean("stream", false);
            boolean includeUsage = request.getJsonObject("stream_options", new JsonObject()).getBoolean("include_usage",
                    false);
            HttpServerResponse res = req.response();
            Buffer sent = Buffer.buffer();
            upstreamSent.put(requestId, sent);
            res.closeHandler(v -> {
                if (!res.ended()) {
                    upstreamSawClose.add(req.getHeader("X-Correlation-Id"));
                }
            });
            switch (model) {
                case "sim-500" -> res.setStatusCode(500).putHeader("Content-Type", "application/json")
                        .end("{\"error\":{\"message\":\"engine crashed\",\"type\":\"server_error\"}}");
                case "sim-400" -> res.setStatusCode(400).putHeader("Content-Type", "application/json")
                        .end("{\"error\":{\"message\":\"This model's maximum context length is 4096 tokens.\","
                                + "\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}");
                case "sim-hang" -> {
                    // never answers: cancellation before the first token
                }
                case "sim-huge" -> {
                    // a 16 MiB non-streamed answer: more than the client's socket buffers take if it stops reading
                    JsonObject answer = completion(model);
                    answer.getJsonArray("choices").getJsonObject(0).getJsonObject("message").put("content",
                            "x".repeat(HUGE_ANSWER_CHARS));
                    res.putHeader("Content-Type", "application/json").end(answer.encode());
                }
                default -> {
                    if (!stream) {
                        JsonObject answer = req.path().equals("/v1/completions") ? textCompletion(model)
                                : completion(model);
                        res.putHeader("Content-Type", "application/json").end(answer.encode());
                        return;
                    }
                    res.setChunked(true).putHeader("Content-Type", "text/event-stream");
                    int tokens = model.equals("sim-slow") ? 10_000 : TOKENS.size();
                    long pace = model.equals("sim-slow") ? 20 : 10;
                    streamTokens(vertx, req, res, sent, model, tokens, pace, includeUsage);
                }
            }
        });
    }

    private static JsonObject completion(String model) {
        return new JsonObject().put("id", "cmpl-1").put("object", "chat.completion").put("created", 1).put("model", model)
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                        .put("message", new JsonObject().put("role", "assistant").put("content", String.join("", TOKENS)))
                        .put("finish_reason", "stop")))
                .put("usage", new JsonObject().put("prompt_tokens", 7).put("completion_tokens", TOKENS.size())
                        .put("total_tokens", 7 + TOKENS.size()));
    }

    private static JsonObject textCompletion(String model) {
        return new JsonObject().put("id", "cmpl-2").put("object", "text_completion").put("created", 1)
                .put("model", model)
                .put("choices", new JsonArray().add(new JsonObject().put("index", 0).put("text", String.join("", TOKENS))
                        .putNull("logprobs").put("finish_reason", "stop")))
                .put("usage", new JsonObject().put("prompt_tokens", 7).put("completion_tokens", TOKENS.size())
                        .put("total_tokens", 7 + TOKENS.size()));
    }

    static String chunk(String model, String deltaJson, String finish) {
        return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
                + "\",\"choices\":[{\"index\":0,\"delta\":" + deltaJson + ",\"logprobs\":null,\"finish_reason\":"
                + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
    }

    static String usageChunk(String model, int completionTokens) {
        return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
                + "\"," + USAGE_CHUNK_MARK + ":{\"prompt_tokens\":7,\"total_tokens\":"
                + (7 + completionTokens) + ",\"completion_tokens\":" + completionTokens + "}}\n\n";
    }

    private static void streamTokens(Vertx vertx, HttpServerRequest req, HttpServerResponse res, Buffer sent,
            String model, int tokens, long pace, boolean includeUsage) {
        boolean lockstep = model.equals("sim-lockstep");
        boolean broken = model.equals("sim-broken");
        boolean stall = model.equals("sim-stall");
        int baseline = clientSeenContent.get();
        write(res, sent, chunk(model, "{\"role\":\"assistant\",\"content\":\"\"}", null));
        AtomicInteger next = new AtomicInteger();
        AtomicInteger waited = new AtomicInteger();
        vertx.setPeriodic(pace, id -> {
            if (res.closed() || res.ended()) {
                vertx.cancelTimer(id);
                return;
            }
            int i = next.get();
            if (lockstep && i > 0 && clientSeenContent.get() < baseline + i) {
                if (waited.incrementAndGet() < 500) {
                    return; // wait until the client saw the previous token through the proxy
                }
                lockstepBroken.set(true);
            }
            waited.set(0);
            if (stall && i == 2) {
                return; // keeps the connection open and sends nothing more
            }
            if (broken && i == 2) {
                vertx.cancelTimer(id);
                req.connection().close();
                return;
            }
            if (i < tokens) {
                String text = model.equals("sim-slow") ? "tok" + i + " " : TOKENS.get(i);
                write(res, sent, chunk(model, "{\"content\":\"" + text + "\"}", null));
                next.incrementAndGet();
                return;
            }
            vertx.cancelTimer(id);
            write(res, sent, chunk(model, "{}", "stop"));
            if (includeUsage) {
                write(res, sent, usageChunk(model, tokens));
            }
            write(res, sent, "data: [DONE]\n\n");
            res.end();
        });
    }

    private static void write(HttpServerResponse res, Buffer sent, String event) {
        sent.appendString(event);
        res.write(event);
    }

    public static String upstreamUrl() {
        return upstreamUrl;
    }

    /** A loopback port nobody listens on: connections to it are refused. */
    public static String deadUrl() {
        return deadUrl;
    }
}
