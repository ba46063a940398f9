package io.parley.registry.support;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A vLLM-like upstream on a random loopback port: {@code /health} and {@code /v1/models}, switchable between
 * healthy and failing. Under {@code /keyed/...} it demands {@link #KEY} as a bearer token.
 */
public final class FakeUpstream {

    public static final String KEY = "sk-keyed-secret-value";

    private final AtomicBoolean healthy = new AtomicBoolean(true);
    private volatile java.util.concurrent.CountDownLatch hang = new java.util.concurrent.CountDownLatch(0);
    private final AtomicInteger healthRequests = new AtomicInteger();
    private final java.util.Set<String> authorizations = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> models = new LinkedHashMap<>();
    private HttpServer server;

    public FakeUpstream() {
        reset();
    }

    public synchronized void reset() {
        healthy.set(true);
        hang.countDown();
        models.clear();
        models.put("llama-3.1-8b-sim", 8192);
        models.put("echo-sim", 4096);
    }

    public void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(16));
        server.createContext("/", this::handle);
        server.start();
    }

    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void setHealthy(boolean value) {
        healthy.set(value);
    }

    /** From now on {@code /health} answers only after {@link #release()} (or {@link #reset()}). */
    public void hang() {
        hang = new java.util.concurrent.CountDownLatch(1);
    }

    public void release() {
        hang.countDown();
    }

    public int healthRequests() {
        return healthRequests.get();
    }

    public synchronized void serve(String model, Integer maxModelLen) {
        models.put(model, maxModelLen);
    }

    public synchronized void stopServing(String model) {
        models.remove(model);
    }

    /** Every {@code Authorization} header value received so far. */
    public java.util.Set<String> authorizations() {
        return java.util.Set.copyOf(authorizations);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization != null) {
            authorizations.add(authorization);
        }
        if (path.startsWith("/keyed/")) {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            if (!("Bearer " + KEY).equals(auth)) {
                respond(exchange, 401, "{\"error\":{\"message\":\"bad key\"}}");
                return;
            }
            path = path.substring("/keyed".length());
        }
        switch (path) {
            case "/health" -> {
                healthRequests.incrementAndGet();
                try {
                    hang.await(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                respond(exchange, healthy.get() ? 200 : 503, "");
            }
            case "/v1/models" -> respond(exchange, healthy.get() ? 200 : 503, modelsJson(exchange));
            default -> respond(exchange, 404, "{}");
        }
    }

    private synchronized String modelsJson(HttpExchange exchange) {
        boolean keyed = exchange.getRequestURI().getPath().startsWith("/keyed/");
        var sb = new StringBuilder("{\"object\":\"list\",\"data\":[");
        Map<String, Integer> listed = keyed ? Map.of("keyed-model", 2048) : models;
        String sep = "";
        for (var e : listed.entrySet()) {
            sb.append(sep).append("{\"id\":\"").append(e.getKey()).append("\",\"object\":\"model\"");
            if (e.getValue() != null) {
                sb.append(",\"max_model_len\":").append(e.getValue());
            }
            sb.append('}');
            sep = ",";
        }
        return sb.append("]}").toString();
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
