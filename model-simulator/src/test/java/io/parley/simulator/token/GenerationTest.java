package io.parley.simulator.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class GenerationTest {

    @Test
    void stopsAtMaxTokensWithFinishReasonLength() {
        Generation generation = new Generation(new LoremSource(7), 5, List.of());
        Generation.Step end = generation.runToEnd();
        assertEquals("length", end.finishReason());
        assertEquals(5, generation.generated());
        assertEquals(5, Tokenizer.count(end.delta()));
    }

    @Test
    void endsWithStopWhenTheNaturalOutputEnds() {
        Generation generation = new Generation(Tokenizer.split("one two three").iterator(), 100, List.of());
        Generation.Step end = generation.runToEnd();
        assertEquals("stop", end.finishReason());
        assertEquals("one two three", end.delta());
        assertEquals(3, generation.generated());
    }

    @Test
    void cutsBeforeTheEarliestStopSequenceAndNeverSendsAPartOfIt() {
        Generation generation = new Generation(Tokenizer.split("alpha beta gamma delta epsilon").iterator(), 100,
                List.of("delta", "a gam"));
        StringBuilder sent = new StringBuilder();
        Generation.Step step;
        do {
            step = generation.step();
            sent.append(step.delta());
            assertFalse(sent.toString().contains("a gam"));
        } while (!step.finished());
        assertEquals("stop", step.finishReason());
        assertEquals("a gam", step.stopReason());
        assertEquals("alpha bet", sent.toString());
    }

    @Test
    void sameSeedGivesTheSameLorem() {
        String first = new Generation(new LoremSource(42), 50, List.of()).runToEnd().delta();
        String second = new Generation(new LoremSource(42), 50, List.of()).runToEnd().delta();
        String other = new Generation(new LoremSource(43), 50, List.of()).runToEnd().delta();
        assertEquals(first, second);
        assertTrue(!first.equals(other));
    }
}
