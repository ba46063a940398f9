package io.parley.chat.rest;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.chat.config.ChatConfig;
import io.parley.chat.service.TurnInputValidator;
import io.quarkus.logging.Log;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;

/**
 * Refuses a turn body that cannot fit under {@code parley.chat.attachments.max-bytes} with 413 as soon as its
 * {@code Content-Length} says so, before a byte of it is read or buffered (the turn checks the decoded size again).
 */
@ApplicationScoped
public class TurnBodyLimit {

    private final ChatConfig config;
    private final ObjectMapper mapper;

    public TurnBodyLimit(ChatConfig config, ObjectMapper mapper) {
        this.config = config;
        this.mapper = mapper;
    }

    /** The largest turn body accepted: the base64 of the attachment limit plus room for the JSON around it. */
    long maxBodyBytes() {
        long max = config.chat().attachments().maxBytes().asLongValue();
        return (max + 2) / 3 * 4 + config.chat().attachments().bodySlack().asLongValue();
    }

    void install(@Observes Router router) {
        long limit = maxBodyBytes();
        Log.infof("turn bodies over %d bytes are refused before reading", limit);
        router.route(HttpMethod.POST, "/v1/chat/sessions/:sessionId/turns").order(-1000).handler(rc -> {
            String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
            long declared;
            try {
                declared = length == null ? -1 : Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                declared = -1;
            }
            if (declared <= limit) {
                rc.next();
                return;
            }
            Log.infof("turn body of %d bytes refused before reading (limit %d)", declared, limit);
            var e = TurnInputValidator.tooLarge(config.chat().attachments().maxBytes().asLongValue());
            String body;
            try {
                body = mapper.writeValueAsString(ErrorBody.of(e.getMessage(), e.type(), e.param(), e.code()));
            } catch (Exception ex) {
                body = "{\"error\":{\"message\":\"request too large\"}}";
            }
            // answer, then close: the rest of the body is never read
            rc.response().setStatusCode(413).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .putHeader(HttpHeaders.CONNECTION, "close").end(body)
                    .onComplete(done -> rc.request().connection().close());
        });
    }
}
