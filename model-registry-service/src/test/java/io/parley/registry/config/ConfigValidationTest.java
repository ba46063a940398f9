package io.parley.registry.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class ConfigValidationTest {

    @Test
    void ttlEqualToPollIsRefusedWithAClearMessage() {
        var e = assertThrows(IllegalStateException.class,
                () -> ConfigValidation.requireTtlAbovePoll(Duration.ofSeconds(15), Duration.ofSeconds(15)));
        assertTrue(e.getMessage().contains("HEALTH_CHECK_TTL_SEC"), e.getMessage());
        assertTrue(e.getMessage().contains("HEALTH_POLL_SEC"), e.getMessage());
        assertTrue(e.getMessage().contains("= 15s"), e.getMessage());
    }

    @Test
    void ttlBelowPollIsRefused() {
        assertThrows(IllegalStateException.class,
                () -> ConfigValidation.requireTtlAbovePoll(Duration.ofSeconds(15), Duration.ofSeconds(10)));
    }

    @Test
    void ttlAbovePollIsAccepted() {
        assertDoesNotThrow(() -> ConfigValidation.requireTtlAbovePoll(Duration.ofSeconds(15), Duration.ofSeconds(20)));
    }
}
