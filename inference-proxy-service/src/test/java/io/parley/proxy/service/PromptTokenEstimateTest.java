package io.parley.proxy.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

class PromptTokenEstimateTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void chatRequestsCountFourCharactersPerTokenPlusTheChatFormatOverhead() throws Exception {
        // 3 per request + 4 per message + ceil((2 + 12 + 5) / 4) = 3 + 8 + 5
        assertEquals(16, PromptTokenEstimate.of(mapper.readTree("""
                {"messages":[{"role":"system","content":"hi"},
                 {"role":"user","content":[{"type":"text","text":"hello world!"},
                  {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},{"type":"text","text":"again"}]}]}
                """)));
    }

    @Test
    void completionsCountTheirPromptTextOrTokenIds() throws Exception {
        assertEquals(3, PromptTokenEstimate.of(mapper.readTree("{\"prompt\":\"twelve chars\"}")));
        assertEquals(4, PromptTokenEstimate.of(mapper.readTree("{\"prompt\":[1,2,3,4]}")));
        assertEquals(0, PromptTokenEstimate.of(mapper.readTree("{}")));
    }
}
