package io.parley.chat.ui;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.parley.chat.config.ChatConfig;
import io.parley.chat.service.TurnInputValidator;
import io.quarkus.security.Authenticated;

/**
 * {@code GET /ui/config}: the limits the playground checks before it sends a turn, read from the checks chat-service
 * itself applies ({@link TurnInputValidator}, {@code parley.chat.attachments.max-bytes}), so the page never carries a
 * copy that could drift. The page refuses early with the same limits; the server still checks every turn.
 */
@Path("/ui/config")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
public class UiConfigResource {

    /** What the page checks; {@code correlation_id_pattern} is matched against the whole value. */
    public record Limits(@JsonProperty("correlation_id_pattern") String correlationIdPattern,
            @JsonProperty("max_metadata") int maxMetadata, @JsonProperty("max_metadata_key") int maxMetadataKey,
            @JsonProperty("max_metadata_value") int maxMetadataValue,
            @JsonProperty("protected_override_keys") List<String> protectedOverrideKeys,
            @JsonProperty("max_overrides_bytes") int maxOverridesBytes,
            @JsonProperty("max_attachments") int maxAttachments,
            @JsonProperty("max_attachment_bytes") long maxAttachmentBytes) {
    }

    private final ChatConfig config;

    public UiConfigResource(ChatConfig config) {
        this.config = config;
    }

    @GET
    public Limits limits() {
        return new Limits(TurnInputValidator.CORRELATION_ID.pattern(), TurnInputValidator.MAX_METADATA,
                TurnInputValidator.MAX_METADATA_KEY, TurnInputValidator.MAX_METADATA_VALUE,
                TurnInputValidator.PROTECTED_OVERRIDE_KEYS.stream().sorted().toList(),
                TurnInputValidator.MAX_OVERRIDES_BYTES, TurnInputValidator.MAX_ATTACHMENTS,
                config.chat().attachments().maxBytes().asLongValue());
    }
}
