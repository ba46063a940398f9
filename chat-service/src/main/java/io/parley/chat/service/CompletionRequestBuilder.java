package io.parley.chat.service;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.node.TextNode;

import io.parley.chat.client.EndpointMode;
import io.parley.chat.client.ProxyRequest;
import io.parley.chat.repository.AttachmentRow;
import io.parley.chat.repository.MessageRow;
import io.parley.chat.repository.SessionRow;

/**
 * Builds the proxy request of a turn for its endpoint mode: the system prompt, the branch of messages ending at a
 * leaf (with the attachments of every user message, re-sent on every turn), the session's parameters and the
 * envelope (metadata with {@code source=playground}, {@code X-Correlation-Id}, {@code X-Parley-Overrides}). The same
 * builder feeds the real call and the view-code snippets (with placeholder attachment data), so a snippet replays
 * exactly what the playground sends.
 * <ul>
 * <li>{@code chat_completions}: {@code messages}; attachments as {@code image_url}, {@code input_audio}
 * (audio/wav, audio/mpeg) or {@code file} parts; {@code stream_options.include_usage}.</li>
 * <li>{@code responses}: {@code instructions} (system prompt), {@code input} message items, {@code max_output_tokens};
 * attachments as {@code input_image} or {@code input_file}.</li>
 * <li>{@code messages} (Anthropic): {@code system}, {@code messages}, {@code max_tokens} (required: the session's,
 * else the model's default); attachments as base64 {@code image} or {@code document} blocks (PDF, plain text), any
 * other type as a text note naming the file.</li>
 * <li>{@code completions} (legacy text completions, for models that serve only {@code /v1/completions}):
 * {@code prompt} = the texts of the branch joined as one document (no roles, no system prompt, no attachments: each
 * answer continues the text before it), {@code max_tokens} = the session's, else the model's default (vLLM's own
 * default for this endpoint is 16 tokens, OpenAI's legacy value), {@code stream_options.include_usage}.</li>
 * </ul>
 * Web search ({@code web_search} in the envelope) is each API's own field: {@code web_search_options: {}} for chat
 * completions, the {@code web_search} tool for Responses, the {@code web_search_20250305} server tool (named
 * {@code web_search}) for Messages (OpenAI's and Anthropic's API references).
 */
@ApplicationScoped
public class CompletionRequestBuilder {

    public static final String SOURCE = "playground";
    public static final String ANTHROPIC_VERSION = "2023-06-01";
    /** {@code max_tokens} of a Messages call when neither the session nor the model says. */
    static final int FALLBACK_MAX_TOKENS = 1024;
    static final Set<String> ANTHROPIC_IMAGES = Set.of("image/jpeg", "image/png", "image/gif", "image/webp");

    /**
     * Where the bytes of an attachment come from: the stored ones for a call (written as base64 straight into the
     * request body when it is serialized, never held as a string), placeholders for a snippet.
     */
    public interface AttachmentPayload {
        JsonNode base64(AttachmentRow a);

        JsonNode dataUrl(AttachmentRow a);

        String text(AttachmentRow a);

        AttachmentPayload STORED = new AttachmentPayload() {
            @Override
            public JsonNode base64(AttachmentRow a) {
                return new POJONode(new StreamedBase64("", a.data()));
            }

            @Override
            public JsonNode dataUrl(AttachmentRow a) {
                return new POJONode(new StreamedBase64("data:" + a.mimeType() + ";base64,", a.data()));
            }

            @Override
            public String text(AttachmentRow a) {
                return new String(a.data(), StandardCharsets.UTF_8);
            }
        };

        AttachmentPayload PLACEHOLDER = new AttachmentPayload() {
            @Override
            public JsonNode base64(AttachmentRow a) {
                return TextNode.valueOf("<base64 of " + a.name() + ">");
            }

            @Override
            public JsonNode dataUrl(AttachmentRow a) {
                return TextNode.valueOf("data:" + a.mimeType() + ";base64,<base64 of " + a.name() + ">");
            }

            @Override
            public String text(AttachmentRow a) {
                return "<text of " + a.name() + ">";
            }
        };
    }

    private final ObjectMapper mapper;

    public CompletionRequestBuilder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The messages from the root down to {@code leaf} (inclusive), following parent ids. */
    public static List<MessageRow> branch(List<MessageRow> all, UUID leaf) {
        Map<UUID, MessageRow> byId = new HashMap<>();
        all.forEach(m -> byId.put(m.id(), m));
        List<MessageRow> chain = new ArrayList<>();
        UUID cursor = leaf;
        while (cursor != null && byId.containsKey(cursor) && chain.size() <= all.size()) {
            MessageRow m = byId.get(cursor);
            chain.add(m);
            cursor = m.parentId();
        }
        Collections.reverse(chain);
        return chain;
    }

    /**
     * The proxy request of a turn. {@code attachments} maps user message ids to their attachments (with bytes unless
     * {@code payload} does not need them).
     */
    public ProxyRequest build(SessionRow session, List<MessageRow> branch, String user, TurnEnvelope envelope,
            Map<UUID, List<AttachmentRow>> attachments, AttachmentPayload payload) {
        JsonNode params = session.params() != null ? session.params() : mapper.createObjectNode();
        String system = params.path("system_prompt").asText("");
        List<MessageRow> history = branch.stream().filter(m -> {
            boolean failedEmpty = !MessageRow.COMPLETE.equals(m.status()) && m.content().isEmpty();
            return !MessageRow.STREAMING.equals(m.status()) && !failedEmpty;
        }).toList();
        ObjectNode body = mapper.createObjectNode();
        body.put("model", session.modelName());
        switch (envelope.endpointMode()) {
            case RESPONSES -> responses(body, system, history, attachments, payload);
            case MESSAGES -> messages(body, system, history, attachments, payload);
            case COMPLETIONS -> body.put("prompt", prompt(history));
            default -> chatCompletions(body, system, history, attachments, payload);
        }
        body.put("stream", true);
        if (envelope.endpointMode() == EndpointMode.CHAT_COMPLETIONS
                || envelope.endpointMode() == EndpointMode.COMPLETIONS) {
            body.putObject("stream_options").put("include_usage", true);
        }
        if (params.has("temperature")) {
            body.set("temperature", params.get("temperature"));
        }
        if (params.has("top_p")) {
            body.set("top_p", params.get("top_p"));
        }
        switch (envelope.endpointMode()) {
            case RESPONSES -> {
                if (params.has("max_tokens")) {
                    body.set("max_output_tokens", params.get("max_tokens"));
                }
            }
            case MESSAGES, COMPLETIONS -> body.put("max_tokens", messagesMaxTokens(session, params));
            default -> {
                // unset max_tokens stays unset: the serving engine's default fits the prompt into the context
                if (params.has("max_tokens")) {
                    body.set("max_tokens", params.get("max_tokens"));
                }
            }
        }
        if (envelope.webSearch()) {
            switch (envelope.endpointMode()) {
                case RESPONSES -> body.putArray("tools").addObject().put("type", "web_search");
                case MESSAGES -> body.putArray("tools").addObject().put("type", "web_search_20250305")
                        .put("name", "web_search");
                case CHAT_COMPLETIONS -> body.putObject("web_search_options");
                default -> {
                    // text completions have no web search (refused before a turn starts)
                }
            }
        }
        ObjectNode metadata = body.putObject("metadata");
        metadata.put("session_id", session.id().toString());
        metadata.put("user", user);
        envelope.metadata().forEach(metadata::put);
        metadata.put("source", SOURCE);

        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-Correlation-Id", envelope.correlationIdOr(session.id().toString()));
        envelope.overrides().ifPresent(o -> headers.put("X-Parley-Overrides", o.toString()));
        if (envelope.endpointMode() == EndpointMode.MESSAGES) {
            headers.put("anthropic-version", ANTHROPIC_VERSION);
        }
        return new ProxyRequest(envelope.endpointMode(), body, headers);
    }

    /** The prompt of a text completion: the branch's texts in order, as one document. */
    static String prompt(List<MessageRow> history) {
        StringBuilder prompt = new StringBuilder();
        for (MessageRow m : history) {
            if (!MessageRow.SYSTEM.equals(m.role())) {
                prompt.append(m.content());
            }
        }
        return prompt.toString();
    }

    /**
     * {@code max_tokens} of a Messages or text-completion call: the session's, else the model's default, else a
     * fallback.
     */
    static long messagesMaxTokens(SessionRow session, JsonNode params) {
        if (params.path("max_tokens").canConvertToLong() && params.path("max_tokens").asLong() > 0) {
            return params.get("max_tokens").asLong();
        }
        JsonNode constraints = session.constraints();
        if (constraints != null && constraints.path("max_tokens_default").canConvertToLong()
                && constraints.path("max_tokens_default").asLong() > 0) {
            return constraints.get("max_tokens_default").asLong();
        }
        return Math.min(FALLBACK_MAX_TOKENS, ParamsValidator.maxTokensLimit(constraints));
    }

    private void chatCompletions(ObjectNode body, String system, List<MessageRow> history,
            Map<UUID, List<AttachmentRow>> attachments, AttachmentPayload payload) {
        ArrayNode messages = body.putArray("messages");
        if (!system.isBlank()) {
            messages.addObject().put("role", "system").put("content", system);
        }
        for (MessageRow m : history) {
            ObjectNode message = messages.addObject().put("role", m.role());
            List<AttachmentRow> files = attachments.getOrDefault(m.id(), List.of());
            if (files.isEmpty()) {
                message.put("content", m.content());
                continue;
            }
            ArrayNode parts = message.putArray("content");
            parts.addObject().put("type", "text").put("text", m.content());
            for (AttachmentRow a : files) {
                String mime = a.mimeType();
                if (mime.startsWith("image/")) {
                    parts.addObject().put("type", "image_url").putObject("image_url").set("url", payload.dataUrl(a));
                } else if (audioFormat(mime) != null) {
                    ObjectNode audio = parts.addObject().put("type", "input_audio").putObject("input_audio");
                    audio.set("data", payload.base64(a));
                    audio.put("format", audioFormat(mime));
                } else {
                    parts.addObject().put("type", "file").putObject("file").put("filename", a.name())
                            .set("file_data", payload.dataUrl(a));
                }
            }
        }
    }

    private void responses(ObjectNode body, String system, List<MessageRow> history,
            Map<UUID, List<AttachmentRow>> attachments, AttachmentPayload payload) {
        if (!system.isBlank()) {
            body.put("instructions", system);
        }
        ArrayNode input = body.putArray("input");
        for (MessageRow m : history) {
            ObjectNode item = input.addObject().put("type", "message").put("role", m.role());
            List<AttachmentRow> files = attachments.getOrDefault(m.id(), List.of());
            if (files.isEmpty()) {
                item.put("content", m.content());
                continue;
            }
            ArrayNode parts = item.putArray("content");
            parts.addObject().put("type", "input_text").put("text", m.content());
            for (AttachmentRow a : files) {
                if (a.mimeType().startsWith("image/")) {
                    parts.addObject().put("type", "input_image").set("image_url", payload.dataUrl(a));
                } else {
                    parts.addObject().put("type", "input_file").put("filename", a.name())
                            .set("file_data", payload.dataUrl(a));
                }
            }
        }
    }

    private void messages(ObjectNode body, String system, List<MessageRow> history,
            Map<UUID, List<AttachmentRow>> attachments, AttachmentPayload payload) {
        StringBuilder systemText = new StringBuilder(system.isBlank() ? "" : system);
        ArrayNode messages = mapper.createArrayNode();
        for (MessageRow m : history) {
            if (MessageRow.SYSTEM.equals(m.role())) {
                // Messages has no system turns: they join the system prompt
                systemText.append(systemText.length() > 0 ? "\n\n" : "").append(m.content());
                continue;
            }
            ObjectNode message = messages.addObject().put("role", m.role());
            List<AttachmentRow> files = attachments.getOrDefault(m.id(), List.of());
            if (files.isEmpty()) {
                message.put("content", m.content());
                continue;
            }
            ArrayNode blocks = message.putArray("content");
            for (AttachmentRow a : files) {
                String mime = a.mimeType();
                if (ANTHROPIC_IMAGES.contains(mime)) {
                    blocks.addObject().put("type", "image").putObject("source").put("type", "base64")
                            .put("media_type", mime).set("data", payload.base64(a));
                } else if ("application/pdf".equals(mime)) {
                    ObjectNode doc = blocks.addObject().put("type", "document");
                    doc.putObject("source").put("type", "base64").put("media_type", mime).set("data", payload.base64(a));
                    doc.put("title", a.name());
                } else if ("text/plain".equals(mime)) {
                    ObjectNode doc = blocks.addObject().put("type", "document");
                    doc.putObject("source").put("type", "text").put("media_type", mime).put("data", payload.text(a));
                    doc.put("title", a.name());
                } else {
                    blocks.addObject().put("type", "text").put("text", "[attachment " + a.name() + " (" + mime + ", "
                            + a.sizeBytes() + " bytes) not sent: the Messages API has no content block for this type]");
                }
            }
            blocks.addObject().put("type", "text").put("text", m.content());
        }
        if (systemText.length() > 0) {
            body.put("system", systemText.toString());
        }
        body.set("messages", messages);
    }

    /** The {@code input_audio} format of a media type, or null when it has none. */
    static String audioFormat(String mime) {
        return switch (mime) {
            case "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave" -> "wav";
            case "audio/mpeg", "audio/mp3" -> "mp3";
            default -> null;
        };
    }
}
