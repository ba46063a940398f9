package io.parley.chat.service;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.chat.client.ProxyClient;
import io.parley.chat.client.ProxyRequest;
import io.parley.chat.client.ProxyStreamListener;
import io.parley.chat.config.ChatConfig;
import io.parley.chat.repository.MessageRow;
import io.quarkus.logging.Log;
import io.vertx.core.Vertx;

/**
 * Runs the turns this replica owns: calls the proxy with the user's token, feeds the text into the turn, and ends it
 * once (complete, error, stopped or interrupted) with its metrics; the {@link TurnLog} stores the end and publishes it.
 */
@ApplicationScoped
public class TurnRunner {

    /** The reason stored when a turn's replica went away (or shut down) before it ended. */
    public static final String INTERRUPTED = "interrupted: the server running this answer stopped";

    private final ProxyClient proxy;
    private final TurnLog log;
    private final ChatConfig config;
    private final ObjectMapper mapper;
    private final Vertx vertx;

    public TurnRunner(ProxyClient proxy, TurnLog log, ChatConfig config, ObjectMapper mapper, Vertx vertx) {
        this.proxy = proxy;
        this.log = log;
        this.config = config;
        this.mapper = mapper;
        this.vertx = vertx;
    }

    /** Publishes {@code message_start} and calls the proxy; the turn's rows exist already. */
    void run(Turn turn, TurnEvents.MessageStart start, ProxyRequest request, String accessToken) {
        turn.publish(start, mapper);
        log.register(turn);
        long timer = vertx.setTimer(config.turns().maxDuration().toMillis(),
                t -> end(turn, MessageRow.ERROR, "turn_timeout", "generation exceeded the maximum turn duration"));
        turn.upstream(proxy.stream(request, accessToken, new ProxyStreamListener() {
            @Override
            public void onDelta(String content) {
                if (turn.appendDelta(content, mapper)) {
                    log.signal();
                }
            }

            @Override
            public void onReasoning(String reasoning) {
                if (turn.appendReasoning(reasoning, mapper)) {
                    log.signal();
                }
            }

            @Override
            public void onUsage(JsonNode usage) {
                turn.usage(usage);
            }

            @Override
            public void onComplete() {
                vertx.cancelTimer(timer);
                end(turn, MessageRow.COMPLETE, null, null);
            }

            @Override
            public void onError(String code, String message) {
                vertx.cancelTimer(timer);
                end(turn, MessageRow.ERROR, code, message);
            }
        }));
    }

    /**
     * Ends a turn once (first caller wins): cancels the upstream unless it completed, forms the final events and hands
     * them to the log, which commits and then publishes them. Answers whether this call ended it.
     */
    boolean end(Turn turn, String status, String errorCode, String errorMessage) {
        if (!turn.beginEnd(status)) {
            return false;
        }
        if (!MessageRow.COMPLETE.equals(status)) {
            ProxyClient.Call call = turn.upstream();
            if (call != null) {
                call.cancel();
            }
        }
        turn.prepareEnd(first -> finalEvents(turn, first, status, errorCode, errorMessage), errorMessage);
        log.signal();
        return true;
    }

    /** Ends a turn of this replica as interrupted (shutdown ran out of time). */
    boolean interrupt(Turn turn) {
        return end(turn, MessageRow.ERROR, "interrupted", INTERRUPTED);
    }

    private List<TurnEvent> finalEvents(Turn turn, int first, String status, String errorCode, String error) {
        JsonNode usage = turn.usage();
        TurnEvents.Metrics metrics = metrics(turn, usage);
        List<TurnEvent> out = new ArrayList<>();
        int seq = first;
        out.add(TurnEvent.of(seq++, metrics, mapper));
        if (MessageRow.ERROR.equals(status)) {
            out.add(TurnEvent.of(seq++, new TurnEvents.Error(turn.id(), error,
                    errorCode != null ? errorCode : "upstream_error"), mapper));
        }
        out.add(TurnEvent.of(seq, new TurnEvents.MessageEnd(turn.id(), turn.content(), usage,
                mapper.valueToTree(metrics), status, error, turn.reasoning()), mapper));
        if (MessageRow.ERROR.equals(status)) {
            Log.debugf("turn %s failed: %s", turn.id(), error);
        }
        return out;
    }

    /**
     * Message metrics. Server truth from the proxy's usage extras when present ({@code time_to_first_token},
     * {@code total_latency} in seconds, {@code completion_tokens_after_first_per_sec}); otherwise (a stopped or failed
     * turn has no usage chunk) as measured here, the completion tokens counted as the text deltas received (vLLM and
     * the simulator stream one token per chunk), so a stopped answer keeps its tokens and tokens per second.
     */
    TurnEvents.Metrics metrics(Turn turn, JsonNode usage) {
        long now = System.nanoTime();
        JsonNode u = usage != null ? usage : mapper.createObjectNode();
        long first = turn.firstDeltaNanos();
        Double ttft = null;
        if (u.path("time_to_first_token").isNumber()) {
            ttft = round(u.get("time_to_first_token").asDouble() * 1000);
        } else if (first != 0) {
            ttft = round((first - turn.startedNanos()) / 1e6);
        }
        double latency = u.path("total_latency").isNumber() ? round(u.get("total_latency").asDouble() * 1000)
                : round((now - turn.startedNanos()) / 1e6);
        // Boxed on both sides: a conditional mixing int and null unboxes the null (the NullPointerException that left a
        // turn refused before its first byte without an end).
        Integer completion = null;
        if (u.path("completion_tokens").isNumber()) {
            completion = u.get("completion_tokens").asInt();
        } else if (turn.deltas() > 0) {
            completion = turn.deltas();
        }
        Double tps = null;
        if (u.path("completion_tokens_after_first_per_sec").isNumber()) {
            tps = round(u.get("completion_tokens_after_first_per_sec").asDouble());
        } else if (completion != null && completion > 1 && first != 0 && now > first) {
            tps = round((completion - 1) / ((now - first) / 1e9));
        }
        Integer prompt = u.path("prompt_tokens").isNumber() ? u.get("prompt_tokens").asInt() : null;
        return new TurnEvents.Metrics(ttft, latency, tps, prompt, completion, reasoningTokens(u));
    }

    /**
     * The reasoning tokens of a usage object: {@code completion_tokens_details.reasoning_tokens} (OpenAI chat
     * completions, vLLM) or {@code output_tokens_details.reasoning_tokens} (Responses); null when not reported.
     */
    static Integer reasoningTokens(JsonNode usage) {
        for (String details : new String[] { "completion_tokens_details", "output_tokens_details" }) {
            JsonNode n = usage.path(details).path("reasoning_tokens");
            if (n.isIntegralNumber()) {
                return n.asInt();
            }
        }
        return null;
    }

    private static double round(double v) {
        return Math.round(v * 10.0) / 10.0;
    }
}
