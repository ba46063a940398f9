package io.parley.chat.service;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.client.EndpointMode;
import io.parley.chat.config.ChatConfig;
import io.parley.chat.repository.AttachmentRow;

/**
 * Checks a turn's envelope and attachments (docs/architecture.md, "Turn envelope and attachments"): bad values answer
 * 400 with {@code param} naming the field; attachments over {@code parley.chat.attachments.max-bytes} (decoded, all
 * of a turn together) answer 413. Attachments are decoded from their data URLs and hashed (SHA-256) here.
 */
@ApplicationScoped
public class TurnInputValidator {

    /** Keys the proxy owns; an override touching one is refused (the proxy would refuse it too). */
    public static final Set<String> PROTECTED_OVERRIDE_KEYS = Set.of("model", "messages", "prompt", "input", "stream",
            "stream_options");
    public static final Pattern CORRELATION_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    static final Pattern MIME_TYPE = Pattern
            .compile("[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");
    static final Pattern DATA_URL_HEAD = Pattern.compile("data:([^;,]*)((?:;[^;,]*)*?);base64,");
    public static final int MAX_METADATA = 16;
    public static final int MAX_METADATA_KEY = 64;
    public static final int MAX_METADATA_VALUE = 512;
    public static final int MAX_OVERRIDES_BYTES = 16 * 1024;
    public static final int MAX_ATTACHMENTS = 32;
    static final int MAX_NAME = 255;

    private final ChatConfig config;
    private final ObjectMapper mapper;

    public TurnInputValidator(ChatConfig config, ObjectMapper mapper) {
        this.config = config;
        this.mapper = mapper;
    }

    /** The validated envelope of a turn request (defaults for what is absent). */
    public TurnEnvelope envelope(TurnRequest request) {
        EndpointMode mode = EndpointMode.CHAT_COMPLETIONS;
        if (request.endpointMode() != null) {
            mode = EndpointMode.of(request.endpointMode()).orElseThrow(() -> ApiException.badRequest("endpoint_mode",
                    "endpoint_mode must be one of chat_completions, responses, messages, completions"));
        }
        Optional<String> correlationId = Optional.empty();
        if (request.correlationId() != null) {
            if (!CORRELATION_ID.matcher(request.correlationId()).matches()) {
                throw ApiException.badRequest("correlation_id",
                        "correlation_id must be 1 to 128 characters of letters, digits, '.', '_', ':' and '-'");
            }
            correlationId = Optional.of(request.correlationId());
        }
        JsonNode web = request.webSearch();
        if (web != null && !web.isNull() && !web.isBoolean()) {
            throw ApiException.badRequest("web_search", "web_search must be true or false");
        }
        boolean webSearch = web != null && web.asBoolean(false);
        return new TurnEnvelope(mode, correlationId, metadata(request.metadata()), overrides(request.overrides()),
                webSearch);
    }

    /**
     * The envelope of a turn fitted to the session's model, by the registry's {@code task}: a model that serves only
     * {@code /v1/completions} ({@code completion}) gets {@code completions} when the turn names no mode and refuses
     * the chat modes; the chat modes' models may use {@code completions} too (vLLM serves both); an embedding model
     * takes no turn. Text completions take no attachments (a prompt is text) and have no web search.
     */
    public TurnEnvelope forModel(TurnEnvelope envelope, boolean modeGiven, JsonNode constraints, String model,
            boolean hasAttachments) {
        String task = constraints == null ? "chat" : constraints.path("task").asText("chat");
        if ("embedding".equals(task)) {
            throw ApiException.badRequest("model", "model '" + model + "' is an embedding model: it takes no chat "
                    + "turns");
        }
        TurnEnvelope out = envelope;
        if ("completion".equals(task)) {
            if (!modeGiven) {
                out = envelope.withMode(EndpointMode.COMPLETIONS);
            } else if (envelope.endpointMode() != EndpointMode.COMPLETIONS) {
                throw ApiException.badRequest("endpoint_mode", "model '" + model + "' serves only text completions "
                        + "(/v1/completions): endpoint_mode must be completions");
            }
        }
        if (out.endpointMode() == EndpointMode.COMPLETIONS) {
            if (hasAttachments) {
                throw ApiException.badRequest("attachments", "text completions take a text prompt only: no "
                        + "attachments");
            }
            if (out.webSearch()) {
                throw ApiException.badRequest("web_search", "text completions have no web search");
            }
        }
        return out;
    }

    private static Map<String, String> metadata(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw ApiException.badRequest("metadata", "metadata must be an object of string values");
        }
        if (node.size() > MAX_METADATA) {
            throw ApiException.badRequest("metadata", "metadata holds at most " + MAX_METADATA + " pairs");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (key.isEmpty() || key.length() > MAX_METADATA_KEY) {
                throw ApiException.badRequest("metadata", "metadata keys must be 1 to " + MAX_METADATA_KEY
                        + " characters");
            }
            if ("source".equals(key)) {
                throw ApiException.badRequest("metadata",
                        "metadata key 'source' is reserved: chat-service always sends source=playground");
            }
            if (!e.getValue().isTextual() || e.getValue().asText().length() > MAX_METADATA_VALUE) {
                throw ApiException.badRequest("metadata", "metadata value of '" + key + "' must be a string of at most "
                        + MAX_METADATA_VALUE + " characters");
            }
            out.put(key, e.getValue().asText());
        }
        return out;
    }

    private Optional<ObjectNode> overrides(JsonNode node) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!(node instanceof ObjectNode object)) {
            throw ApiException.badRequest("overrides", "overrides must be a JSON object");
        }
        for (Iterator<String> it = object.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (PROTECTED_OVERRIDE_KEYS.contains(key)) {
                throw ApiException.badRequest("overrides", "overrides may not set '" + key
                        + "' (owned by the playground: model, messages, prompt, input, stream, stream_options)");
            }
        }
        try {
            if (mapper.writeValueAsBytes(object).length > MAX_OVERRIDES_BYTES) {
                throw ApiException.badRequest("overrides", "overrides must be at most 16 KiB of JSON");
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.badRequest("overrides", "overrides must be a JSON object");
        }
        return object.isEmpty() ? Optional.empty() : Optional.of(object.deepCopy());
    }

    /**
     * The decoded attachments of a turn (message id still unset), in order. 413 when they are over the limit
     * together (checked on the declared sizes and the encoded length before anything is decoded), 400 for a malformed
     * data URL or a {@code size_bytes} that differs from the decoded size.
     */
    public List<AttachmentRow> attachments(JsonNode node) {
        return attachments(node, List.of());
    }

    /**
     * As {@link #attachments(JsonNode)}, where a data URL whose payload is {@code #<index>} stands for
     * {@code payloads.get(index)}, already decoded from the raw body (see {@code TurnBodyReader}).
     */
    public List<AttachmentRow> attachments(JsonNode node, List<byte[]> payloads) {
        return attachments(node, payloads, List.of());
    }

    /**
     * As {@link #attachments(JsonNode, List)}, with {@code kept} (stored attachments copied to the same message, see
     * {@link #attachmentIds(JsonNode)}) counted toward the per-turn number and byte limits.
     */
    public List<AttachmentRow> attachments(JsonNode node, List<byte[]> payloads, List<AttachmentRow> kept) {
        long max = config.chat().attachments().maxBytes().asLongValue();
        long keptBytes = kept.stream().mapToLong(AttachmentRow::sizeBytes).sum();
        if (keptBytes > max) {
            throw tooLarge(max);
        }
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiException.badRequest("attachments", "attachments must be an array");
        }
        if (node.size() + kept.size() > MAX_ATTACHMENTS) {
            throw ApiException.badRequest(kept.isEmpty() ? "attachments" : "attachment_ids", "at most "
                    + MAX_ATTACHMENTS + " attachments per turn (kept and new together)");
        }
        record Parsed(String name, String mime, Long declared, String dataUrl, int dataStart, byte[] decoded) {
        }
        List<Parsed> parsed = new ArrayList<>();
        long declaredTotal = 0;
        long estimatedTotal = 0;
        for (int i = 0; i < node.size(); i++) {
            JsonNode a = node.get(i);
            String where = "attachments[" + i + "]";
            if (!a.isObject()) {
                throw ApiException.badRequest("attachments", where + " must be an object");
            }
            String name = a.path("name").isTextual() ? a.get("name").asText().strip() : null;
            if (name == null || name.isEmpty() || name.length() > MAX_NAME
                    || name.chars().anyMatch(c -> Character.isISOControl(c))) {
                throw ApiException.badRequest("attachments", where + ".name must be 1 to " + MAX_NAME
                        + " characters without control characters");
            }
            JsonNode dataUrl = a.get("data_url");
            if (dataUrl == null || !dataUrl.isTextual()) {
                throw ApiException.badRequest("attachments", where + ".data_url must be a base64 data URL");
            }
            String url = dataUrl.asText();
            Matcher head = DATA_URL_HEAD.matcher(url);
            if (!head.lookingAt()) {
                throw ApiException.badRequest("attachments", where + ".data_url must be a base64 data URL "
                        + "(data:<type>;base64,<data>)");
            }
            String mime = a.hasNonNull("mime_type") ? a.get("mime_type").asText().strip() : head.group(1).strip();
            if (mime.isEmpty()) {
                mime = "application/octet-stream";
            }
            if (!MIME_TYPE.matcher(mime).matches()) {
                throw ApiException.badRequest("attachments", where + ".mime_type must be a media type like image/png");
            }
            Long declared = null;
            if (a.hasNonNull("size_bytes")) {
                JsonNode s = a.get("size_bytes");
                if (!s.isIntegralNumber() || s.asLong() < 0) {
                    throw ApiException.badRequest("attachments", where + ".size_bytes must be a non-negative integer");
                }
                declared = s.asLong();
                declaredTotal += declared;
            }
            int dataStart = head.end();
            byte[] decoded = predecoded(url, dataStart, payloads);
            estimatedTotal += decoded != null ? decoded.length : decodedLength(url, dataStart);
            parsed.add(new Parsed(name, mime.toLowerCase(java.util.Locale.ROOT), declared, url, dataStart, decoded));
        }
        if (declaredTotal + keptBytes > max || estimatedTotal + keptBytes > max) {
            throw tooLarge(max);
        }
        List<AttachmentRow> out = new ArrayList<>();
        Instant now = Instant.now();
        for (int i = 0; i < parsed.size(); i++) {
            Parsed p = parsed.get(i);
            byte[] bytes = p.decoded() != null ? p.decoded() : decode(p.dataUrl(), p.dataStart(), i);
            if (p.declared() != null && p.declared() != bytes.length) {
                throw ApiException.badRequest("attachments", "attachments[" + i + "].size_bytes is " + p.declared()
                        + " but the data holds " + bytes.length + " bytes");
            }
            out.add(new AttachmentRow(UUID.randomUUID(), null, p.name(), p.mime(), bytes.length, sha256(bytes), bytes,
                    now));
        }
        return out;
    }

    /**
     * The ids of {@code attachment_ids} (stored attachments to copy to the new user message), in order: an array of
     * distinct UUID strings, at most {@value #MAX_ATTACHMENTS}; anything else answers 400 naming
     * {@code attachment_ids}. Whether they belong to the session is the caller's check.
     */
    public List<UUID> attachmentIds(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiException.badRequest("attachment_ids", "attachment_ids must be an array of attachment ids");
        }
        if (node.size() > MAX_ATTACHMENTS) {
            throw ApiException.badRequest("attachment_ids", "at most " + MAX_ATTACHMENTS + " attachments per turn");
        }
        List<UUID> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode id = node.get(i);
            UUID parsed = null;
            if (id.isTextual()) {
                try {
                    parsed = UUID.fromString(id.asText());
                } catch (IllegalArgumentException e) {
                    parsed = null;
                }
            }
            if (parsed == null) {
                throw ApiException.badRequest("attachment_ids", "attachment_ids[" + i + "] must be an attachment id");
            }
            if (out.contains(parsed)) {
                throw ApiException.badRequest("attachment_ids", "attachment_ids[" + i + "] is listed twice");
            }
            out.add(parsed);
        }
        return out;
    }

    /**
     * Decodes the base64 after {@code start} straight from the string into one array of the expected size (no copy of
     * the encoded text: an attachment near the limit is 133 MB of base64).
     */
    static byte[] decode(String url, int start, int index) {
        int expected = (int) decodedLength(url, start);
        InputStream chars = new InputStream() {
            private int pos = start;

            @Override
            public int read() {
                return pos < url.length() ? url.charAt(pos++) & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= url.length()) {
                    return -1;
                }
                int n = Math.min(len, url.length() - pos);
                for (int k = 0; k < n; k++) {
                    char c = url.charAt(pos++);
                    b[off + k] = (byte) (c < 0x80 ? c : '!'); // not base64: fails below
                }
                return n;
            }
        };
        try (InputStream in = Base64.getDecoder().wrap(chars)) {
            byte[] out = new byte[expected];
            int read = in.readNBytes(out, 0, expected);
            if (read != expected || in.read() != -1) {
                throw new IOException("length");
            }
            return out;
        } catch (IOException | IllegalArgumentException e) {
            throw ApiException.badRequest("attachments", "attachments[" + index + "].data_url holds invalid base64");
        }
    }

    private static byte[] predecoded(String url, int start, List<byte[]> payloads) {
        if (payloads.isEmpty() || start >= url.length() || url.charAt(start) != '#') {
            return null;
        }
        try {
            int index = Integer.parseInt(url.substring(start + 1));
            return index >= 0 && index < payloads.size() ? payloads.get(index) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The 413 for attachments over the limit. */
    public static ApiException tooLarge(long max) {
        return new ApiException(413, "invalid_request_error", "attachments_too_large", "attachments",
                "attachments are limited to " + max + " bytes per turn (decoded)");
    }

    /** Decoded size of a base64 payload from its length, without decoding it. */
    static long decodedLength(String url, int start) {
        long len = url.length() - start;
        long padding = 0;
        if (len > 0 && url.charAt(url.length() - 1) == '=') {
            padding++;
            if (len > 1 && url.charAt(url.length() - 2) == '=') {
                padding++;
            }
        }
        return Math.max(0, len / 4 * 3 + (len % 4 == 0 ? 0 : Math.max(0, len % 4 - 1)) - padding);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
