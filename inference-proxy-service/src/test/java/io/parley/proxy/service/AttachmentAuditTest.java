package io.parley.proxy.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.contracts.UsageEvent.Attachment;

class AttachmentAuditTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void inputAudioIsRecordedWithTheRegisteredMediaTypeOfItsFormat() {
        String data = Base64.getEncoder().encodeToString(new byte[] { 1, 2, 3 });
        ObjectNode request = MAPPER.createObjectNode();
        var content = request.putArray("messages").addObject().put("role", "user").putArray("content");
        content.addObject().put("type", "input_audio").putObject("input_audio").put("data", data).put("format", "mp3");
        content.addObject().put("type", "input_audio").putObject("input_audio").put("data", data).put("format", "wav");
        content.addObject().put("type", "input_audio").putObject("input_audio").put("data", data);

        List<String> mimeTypes = AttachmentAudit.of(request).stream().map(Attachment::mimeType).toList();

        assertEquals(List.of("audio/mpeg", "audio/wav", "audio/wav"), mimeTypes);
    }
}
