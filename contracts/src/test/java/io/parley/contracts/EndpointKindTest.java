package io.parley.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class EndpointKindTest {

    @Test
    void everyKindIsFoundByItsWireNameAndServedUnderV1() {
        for (EndpointKind kind : EndpointKind.values()) {
            assertEquals(Optional.of(kind), EndpointKind.of(kind.wireName()));
            assertTrue(kind.path().startsWith("/v1/"), kind.path());
        }
        assertEquals("chat_completions", EndpointKind.CHAT_COMPLETIONS.wireName());
        assertEquals("/v1/messages", EndpointKind.MESSAGES.path());
    }

    @Test
    void anUnknownNameIsNoKind() {
        assertEquals(Optional.empty(), EndpointKind.of("embeddings"));
        assertEquals(Optional.empty(), EndpointKind.of("CHAT_COMPLETIONS"));
    }
}
