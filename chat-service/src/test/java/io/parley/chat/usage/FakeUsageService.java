package io.parley.chat.usage;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A loopback stand-in for usage-service's query API that enforces the same authorization as the real one (the
 * {@code /admin/usage} views need the {@code admin} realm role, {@code /v1/usage/me} is restricted to the token's
 * {@code preferred_username} whatever the filters say). It holds three records: two of alice, one of bob. The
 * {@code model} filter steers failures: {@code bad-model} answers 400 with usage-service's error JSON,
 * {@code boom-model} a 500 with a plain-text body, {@code drop-model} closes the connection. Tests read every
 * request it got at {@code GET /_fake/usage-requests}.
 */
public class FakeUsageService implements QuarkusTestResourceLifecycleManager {

    static final List<JsonObject> RECORDS = List.of(
            record("req-a1", "alice", "sim-model", "ok", 120.0, 900.0),
            record("req-a2", "alice", "sim-model", "error", null, 50.0),
            record("req-b1", "bob", "other-model", "ok", 300.0, 2500.0));

    private Vertx vertx;
    private final List<JsonObject> requests = new CopyOnWriteArrayList<>();

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        HttpServer server = vertx.createHttpServer().requestHandler(this::handle);
        try {
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("fake usage-service did not start", e);
        }
        String base = "http://127.0.0.1:" + server.actualPort();
        return Map.of("quarkus.rest-client.usage.url", base, "fake.usage.url", base);
    }

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        }
    }

    private void handle(HttpServerRequest req) {
        String path = req.path();
        if (path.equals("/_fake/usage-requests")) {
            json(req, 200, new JsonObject().put("requests", new JsonArray(List.copyOf(requests))));
            return;
        }
        JsonObject params = new JsonObject();
        req.params().forEach(e -> params.put(e.getKey(), e.getValue()));
        requests.add(new JsonObject().put("path", path).put("params", params)
                .put("authorization", req.getHeader("Authorization")).put("accept", req.getHeader("Accept")));

        JsonObject claims = claims(req.getHeader("Authorization"));
        if (claims == null) {
            json(req, 401, error("authentication required", "authentication_error", null));
            return;
        }
        String caller = claims.getString("preferred_username");
        boolean admin = claims.getJsonObject("realm_access", new JsonObject()).getJsonArray("roles", new JsonArray())
                .contains("admin");
        String model = req.getParam("model");
        if ("drop-model".equals(model)) {
            req.connection().close();
            return;
        }
        if ("boom-model".equals(model)) {
            req.response().setStatusCode(500).putHeader("Content-Type", "text/plain").end("database on fire");
            return;
        }
        if ("bad-model".equals(model)) {
            json(req, 400, error("model is not valid", "invalid_request_error", "model"));
            return;
        }
        String userFilter;
        if (path.startsWith("/admin/usage")) {
            if (!admin) {
                json(req, 403, error("not allowed", "permission_error", null));
                return;
            }
            userFilter = req.getParam("user");
        } else if (path.startsWith("/v1/usage/me")) {
            userFilter = caller;
        } else {
            json(req, 404, error("no route " + path, "invalid_request_error", null));
            return;
        }
        List<JsonObject> rows = RECORDS.stream()
                .filter(r -> userFilter == null || userFilter.equals(r.getString("user_id")))
                .filter(r -> model == null || model.equals(r.getString("model")))
                .collect(Collectors.toList());
        boolean csv = "csv".equals(req.getParam("format"))
                || String.valueOf(req.getHeader("Accept")).contains("text/csv");
        if (path.endsWith("/summary")) {
            summary(req, rows, csv);
        } else if (csv) {
            StringBuilder out = new StringBuilder("request_id,user_id,model,status\r\n");
            rows.forEach(r -> out.append(r.getString("request_id")).append(',').append(r.getString("user_id"))
                    .append(',').append(r.getString("model")).append(',').append(r.getString("status")).append("\r\n"));
            req.response().putHeader("Content-Type", "text/csv").putHeader("Content-Disposition",
                    "attachment; filename=\"usage.csv\"").end(out.toString());
        } else {
            json(req, 200, new JsonObject().put("data", new JsonArray(rows)).putNull("next_cursor"));
        }
    }

    private static void summary(HttpServerRequest req, List<JsonObject> rows, boolean csv) {
        String groupBy = req.getParam("group_by", "model");
        String field = "user".equals(groupBy) ? "user_id" : "model";
        Map<String, List<JsonObject>> groups = rows.stream().collect(Collectors.groupingBy(r -> r.getString(field)));
        if (csv) {
            StringBuilder out = new StringBuilder("key,calls\r\n");
            groups.forEach((k, v) -> out.append(k).append(',').append(v.size()).append("\r\n"));
            req.response().putHeader("Content-Type", "text/csv").end(out.toString());
            return;
        }
        JsonArray list = new JsonArray();
        groups.forEach((k, v) -> list.add(new JsonObject().put("key", k).put("calls", v.size())));
        json(req, 200, new JsonObject().put("group_by", groupBy).put("groups", list)
                .put("totals", new JsonObject().put("key", "total").put("calls", rows.size())));
    }

    private static JsonObject claims(String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return null;
        }
        String[] parts = authorization.substring(7).split("\\.");
        if (parts.length != 3) {
            return null;
        }
        return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    }

    private static JsonObject record(String id, String user, String model, String status, Double ttft, Double latency) {
        return new JsonObject().put("request_id", id).put("timestamp", "2026-11-22T07:00:00Z").put("user_id", user)
                .put("model", model).put("status", status).put("ttft_ms", ttft).put("latency_ms", latency)
                .put("prompt_tokens", 10).put("completion_tokens", 5).put("source", "playground");
    }

    private static JsonObject error(String message, String type, String param) {
        return new JsonObject().put("error", new JsonObject().put("message", message).put("type", type)
                .put("param", param).put("code", null));
    }

    private static void json(HttpServerRequest req, int status, JsonObject body) {
        req.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }
}
