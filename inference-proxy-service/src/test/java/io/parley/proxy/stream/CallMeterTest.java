package io.parley.proxy.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.contracts.UsageEvent;

/** One call's figures on a hand-moved clock: what its usage event and its usage object say. */
class CallMeterTest {

    private static final long START = 1_000_000_000L;
    private final AtomicLong clock = new AtomicLong(START);
    private final ObjectMapper mapper = new ObjectMapper();

    private void at(long millisAfterStart) {
        clock.set(START + TimeUnit.MILLISECONDS.toNanos(millisAfterStart));
    }

    private ObjectNode usage(int prompt, int completion) {
        return mapper.createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", completion);
    }

    @Test
    void aStreamedCallMeasuresTtftTheRateAfterTheFirstTokenAndTheLatencyToItsLastByte() {
        CallMeter meter = new CallMeter(clock::get, START, true, 7);
        at(100);
        assertTrue(meter.contentEvent(), "the first content event");
        at(150);
        assertFalse(meter.contentEvent());
        at(200);
        meter.contentEvent();
        ObjectNode usage = usage(12, 11);
        at(1100);
        meter.usage(usage); // the upstream's end: 10 tokens after the first in 1.0 s
        meter.addServerMetrics(usage);
        at(1300); // the last byte reached the client

        CallMeter.Summary s = meter.summary(UsageEvent.OK);
        assertEquals(100.0, s.ttftMs(), 1e-9);
        assertEquals(1300.0, s.latencyMs(), 1e-9);
        assertEquals(10.0, s.tokensPerSecond(), 1e-9);
        assertEquals(12, s.promptTokens());
        assertEquals(11, s.completionTokens(), "the upstream's count wins over the 3 content events");
        assertEquals(TimeUnit.MILLISECONDS.toNanos(1300), s.durationNanos());
        assertEquals(0.1, usage.get("time_to_first_token").asDouble(), 1e-9);
        assertEquals(1.1, usage.get("total_latency").asDouble(), 1e-9);
        assertEquals(10.0, usage.get("completion_tokens_after_first_per_sec").asDouble(), 1e-9);
    }

    @Test
    void withoutAUsageObjectTheContentEventsAndThePromptEstimateCount() {
        CallMeter meter = new CallMeter(clock::get, START, true, 7);
        at(10);
        meter.contentEvent();
        at(510);
        meter.contentEvent();
        meter.upstreamEnded();
        at(600);
        CallMeter.Summary s = meter.summary(UsageEvent.OK);
        assertEquals(7, s.promptTokens());
        assertEquals(2, s.completionTokens());
        assertEquals(2.0, s.tokensPerSecond(), 1e-9, "one token after the first in 0.5 s, to the upstream's end");
        assertEquals(2, meter.contentEvents());
    }

    @Test
    void aCancelledCallsRateRunsToItsEndAndACallWithoutTokensHasNoTtft() {
        CallMeter cancelled = new CallMeter(clock::get, START, true, 0);
        at(100);
        cancelled.contentEvent();
        at(200);
        cancelled.contentEvent();
        cancelled.usage(usage(1, 5)); // an upstream that sent usage early; the client then left
        at(1100);
        assertEquals(4.0, cancelled.summary(UsageEvent.CANCELLED).tokensPerSecond(), 1e-9);

        CallMeter none = new CallMeter(clock::get, START, true, 3);
        at(2000);
        CallMeter.Summary s = none.summary(UsageEvent.ERROR);
        assertNull(s.ttftMs());
        assertNull(s.tokensPerSecond());
        assertEquals(0, s.completionTokens());
        assertFalse(none.firstTokenSeen());
    }

    @Test
    void aNonStreamedAnswersRateIsOverTheWholeCall() {
        CallMeter meter = new CallMeter(clock::get, START, false, 0);
        at(2000);
        meter.wholeAnswer();
        ObjectNode usage = usage(4, 50);
        at(2050); // parsing the answer does not move the call's end
        meter.counts(usage);
        meter.addServerMetrics(usage);
        at(2100);
        CallMeter.Summary s = meter.summary(UsageEvent.OK);
        assertEquals(2000.0, s.ttftMs(), 1e-9);
        assertEquals(25.0, s.tokensPerSecond(), 1e-9);
        assertEquals(2.0, usage.get("time_to_first_token").asDouble(), 1e-9);
        assertEquals(25.0, usage.get("completion_tokens_after_first_per_sec").asDouble(), 1e-9);
    }
}
