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

    @Test
    void unknownTaskOrCapabilityIsRefusedNamingTheSetting() {
        var task = assertThrows(IllegalStateException.class,
                () -> io.parley.registry.model.ModelCapabilities.requireKnown("parley.registry.static.x", "chatty",
                        java.util.List.of("text")));
        assertTrue(task.getMessage().contains("parley.registry.static.x.task is 'chatty'"), task.getMessage());
        assertTrue(task.getMessage().contains("completion"), task.getMessage());
        var capability = assertThrows(IllegalStateException.class,
                () -> io.parley.registry.model.ModelCapabilities.requireKnown("parley.registry.static.x", "chat",
                        java.util.List.of("text", "images")));
        assertTrue(capability.getMessage().contains("capabilities has 'images'"), capability.getMessage());
        assertDoesNotThrow(() -> io.parley.registry.model.ModelCapabilities.requireKnown("x", "embedding",
                java.util.List.of("embeddings")));
    }
}
