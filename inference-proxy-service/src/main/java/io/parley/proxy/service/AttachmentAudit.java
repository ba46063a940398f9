package io.parley.proxy.service;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

import io.parley.contracts.UsageEvent.Attachment;

/**
 * Finds multimodal content parts in a chat request (image_url data URLs, input_audio, file with file_data) and describes
 * each by mime type, decoded size and SHA-256: what usage and audit keep, never the bytes.
 */
public final class AttachmentAudit {

    private AttachmentAudit() {
    }

    public static List<Attachment> of(JsonNode request) {
        List<Attachment> found = new ArrayList<>();
        for (JsonNode message : request.path("messages")) {
            JsonNode content = message.get("content");
            if (content == null || !content.isArray()) {
                continue;
            }
            for (JsonNode part : content) {
                String type = part.path("type").asText("");
                switch (type) {
                    case "image_url" -> dataUrl(part.path("image_url").path("url").asText(null), found);
                    case "input_audio" -> {
                        String data = part.path("input_audio").path("data").asText(null);
                        if (data != null) {
                            found.add(describe(audioMime(part.path("input_audio").path("format").asText("wav")), data));
                        }
                    }
                    case "file" -> dataUrl(part.path("file").path("file_data").asText(null), found);
                    default -> {
                    }
                }
            }
        }
        return found;
    }

    /** The registered media type of an {@code input_audio} format: mp3 is {@code audio/mpeg} (RFC 3003). */
    static String audioMime(String format) {
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "mp3", "mpeg" -> "audio/mpeg";
            case "", "wav" -> "audio/wav";
            default -> "audio/" + format.toLowerCase(Locale.ROOT);
        };
    }

    private static void dataUrl(String url, List<Attachment> found) {
        if (url == null || !url.startsWith("data:")) {
            return;
        }
        int comma = url.indexOf(',');
        if (comma < 0) {
            return;
        }
        String header = url.substring(5, comma);
        String mime = header.contains(";") ? header.substring(0, header.indexOf(';')) : header;
        if (header.endsWith(";base64")) {
            found.add(describe(mime.isEmpty() ? "application/octet-stream" : mime, url.substring(comma + 1)));
        }
    }

    private static Attachment describe(String mime, String base64) {
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            bytes = new byte[0];
        }
        try {
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            return new Attachment(mime, bytes.length, sha);
        } catch (Exception e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
