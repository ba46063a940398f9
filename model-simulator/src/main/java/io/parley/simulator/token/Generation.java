package io.parley.simulator.token;

import java.util.Iterator;
import java.util.List;

/**
 * The state of one answer being generated: pulls tokens from the model's natural output, stops at {@code max_tokens}
 * (finish reason "length"), at the end of the natural output ("stop") or before the first stop sequence ("stop", the
 * sequence itself is never sent). While stop sequences are set, the last {@code longest - 1} characters are held back
 * so that no part of a stop sequence is ever sent.
 */
public final class Generation {

    /** What one step may send now ({@code delta} may be empty) and whether the answer is complete. */
    public record Step(String delta, boolean finished, String finishReason, String stopReason) {
    }

    private final Iterator<String> tokens;
    private final int maxTokens;
    private final List<String> stops;
    private final int holdback;
    private final StringBuilder text = new StringBuilder();
    private int sent;
    private int generated;
    private boolean finished;

    public Generation(Iterator<String> naturalOutput, int maxTokens, List<String> stops) {
        this.tokens = naturalOutput;
        this.maxTokens = maxTokens;
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
        this.holdback = this.stops.stream().mapToInt(String::length).max().orElse(1) - 1;
    }

    public boolean finished() {
        return finished;
    }

    /** Tokens generated so far (the completion token count). */
    public int generated() {
        return generated;
    }

    /** The text of the answer generated so far (stop sequences cut off). */
    public String text() {
        return text.toString();
    }

    /** Generates the next token. */
    public Step step() {
        if (finished) {
            throw new IllegalStateException("generation already finished");
        }
        if (generated >= maxTokens) {
            return finish("length", null);
        }
        if (!tokens.hasNext()) {
            return finish("stop", null);
        }
        text.append(tokens.next());
        generated++;
        int stopAt = -1;
        String matched = null;
        for (String stop : stops) {
            int at = text.indexOf(stop, sent);
            if (at >= 0 && (stopAt < 0 || at < stopAt)) {
                stopAt = at;
                matched = stop;
            }
        }
        if (matched != null) {
            String delta = text.substring(sent, stopAt);
            text.setLength(stopAt);
            sent = stopAt;
            finished = true;
            return new Step(delta, true, "stop", matched);
        }
        if (generated >= maxTokens) {
            return finish("length", null);
        }
        if (!tokens.hasNext()) {
            return finish("stop", null);
        }
        int safe = Math.max(sent, text.length() - holdback);
        String delta = text.substring(sent, safe);
        sent = safe;
        return new Step(delta, false, null, null);
    }

    /** Runs the generation to its end and returns the whole answer's finish step (delta = the whole text). */
    public Step runToEnd() {
        Step step;
        do {
            step = step();
        } while (!step.finished());
        return new Step(text.toString(), true, step.finishReason(), step.stopReason());
    }

    private Step finish(String reason, String stopReason) {
        String delta = text.substring(sent);
        sent = text.length();
        finished = true;
        return new Step(delta, true, reason, stopReason);
    }
}
