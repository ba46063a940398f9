package io.parley.usage.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;

import org.junit.jupiter.api.Test;

class CursorTest {

    @Test
    void cursorRoundTripsThroughItsOpaqueForm() {
        Cursor c = new Cursor(Instant.parse("2026-11-22T06:30:00.123456Z"), "req-1\nwith newline");
        assertEquals(c, Cursor.decode(c.encode()));
    }

    @Test
    void foreignCursorIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Cursor.decode("%%%"));
        assertThrows(IllegalArgumentException.class, () -> Cursor.decode("bm90IGEgY3Vyc29y"));
    }
}
