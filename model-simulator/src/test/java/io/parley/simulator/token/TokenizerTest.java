package io.parley.simulator.token;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class TokenizerTest {

    @Test
    void wordsAndPunctuationAreTokensAndWhitespaceIsNot() {
        assertEquals(4, Tokenizer.count("Hello, world!"));
        assertEquals(0, Tokenizer.count("   \n "));
        assertEquals(3, Tokenizer.count("naïve café 42"));
    }

    @Test
    void splitKeepsInnerWhitespaceSoJoiningGivesTheTrimmedTextBack() {
        List<String> tokens = Tokenizer.split("  Hello,\n  world! ");
        assertEquals(List.of("Hello", ",", "\n  world", "!"), tokens);
        assertEquals("Hello,\n  world!", String.join("", tokens));
    }
}
