package io.parley.chat.rest;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;
import org.jboss.resteasy.reactive.RestResponse;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.chat.repository.AttachmentRow;
import io.parley.chat.security.CallerResolver;
import io.parley.chat.service.AddMessageRequest;
import io.parley.chat.service.ApiException;
import io.parley.chat.service.CodeSnippetService;
import io.parley.chat.service.CreateSessionRequest;
import io.parley.chat.service.ForkRequest;
import io.parley.chat.service.MessagePage;
import io.parley.chat.service.MessageView;
import io.parley.chat.service.SessionService;
import io.parley.chat.service.SessionView;
import io.parley.chat.service.UpdateSessionRequest;
import io.quarkus.security.Authenticated;

/** Chat sessions of the caller (design §5). */
@Path("/v1/chat/sessions")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class SessionResource {

    private final SessionService sessions;
    private final CodeSnippetService snippets;
    private final CallerResolver callers;
    private final ObjectMapper mapper;

    public SessionResource(SessionService sessions, CodeSnippetService snippets, CallerResolver callers,
            ObjectMapper mapper) {
        this.sessions = sessions;
        this.snippets = snippets;
        this.callers = callers;
        this.mapper = mapper;
    }

    @POST
    public RestResponse<SessionView> create(CreateSessionRequest request) {
        return RestResponse.status(RestResponse.Status.CREATED, sessions.create(callers.caller(), request));
    }

    @GET
    public Map<String, List<SessionView>> list() {
        return Map.of("data", sessions.list(callers.caller()));
    }

    /**
     * The session with the newest page of its messages ({@code messages}, oldest first); {@code messages_page.next}
     * reads the older ones (null once all are shown).
     */
    @GET
    @Path("/{id}")
    public SessionView get(@RestPath UUID id) {
        return sessions.get(callers.caller(), id);
    }

    /**
     * A page of the session's messages, oldest first: the newest {@code limit} (default 200, at most 1000) stored
     * before the message {@code before} (absent: up to the newest). {@code next} (also a {@code Link: rel="next"}
     * header) reads the page before this one; null on the page holding the session's first message.
     */
    @GET
    @Path("/{id}/messages")
    public RestResponse<MessagePage> messages(@RestPath UUID id, @RestQuery String before, @RestQuery String limit) {
        MessagePage page = sessions.messages(callers.caller(), id, cursor(before), number(limit));
        RestResponse.ResponseBuilder<MessagePage> answer = RestResponse.ResponseBuilder.ok(page);
        if (page.next() != null) {
            answer.header("Link", "<" + page.next() + ">; rel=\"next\"");
        }
        return answer.build();
    }

    /** Rename, change params, or change the model (409 once the first message is sent). */
    @PATCH
    @Path("/{id}")
    public SessionView update(@RestPath UUID id, UpdateSessionRequest request) {
        return sessions.update(callers.caller(), id, request);
    }

    @DELETE
    @Path("/{id}")
    public RestResponse<Void> delete(@RestPath UUID id) {
        sessions.delete(callers.caller(), id);
        return RestResponse.noContent();
    }

    /** Clear all: deletes every session of the caller (and their messages). */
    @DELETE
    public Map<String, Integer> deleteAll() {
        return Map.of("deleted", sessions.deleteAll(callers.caller()));
    }

    /** Stores a message without generating an answer. */
    @POST
    @Path("/{id}/messages")
    public RestResponse<MessageView> addMessage(@RestPath UUID id, AddMessageRequest request) {
        return RestResponse.status(RestResponse.Status.CREATED, sessions.addMessage(callers.caller(), id, request));
    }

    /** Copies the conversation up to a message into a new session, optionally with another model. */
    @POST
    @Path("/{id}/fork")
    public RestResponse<SessionView> fork(@RestPath UUID id, ForkRequest request) {
        return RestResponse.status(RestResponse.Status.CREATED, sessions.fork(callers.caller(), id, request));
    }

    /**
     * The bytes of an attachment with their content type, as a download ({@code Content-Disposition: attachment});
     * another user's answers 404.
     */
    @GET
    @Path("/{id}/attachments/{attachmentId}")
    @Produces(MediaType.WILDCARD)
    public Response attachment(@RestPath UUID id, @RestPath UUID attachmentId) {
        AttachmentRow a = sessions.attachment(callers.caller(), id, attachmentId);
        return Response.ok(a.data(), a.mimeType())
                .header("Content-Disposition", contentDisposition(a.name()))
                .header("X-Content-Type-Options", "nosniff")
                .header("Content-Security-Policy", "sandbox")
                .header("Cache-Control", "private, no-store")
                .build();
    }

    /** {@code attachment; filename="ascii"; filename*=UTF-8''percent-encoded} (RFC 6266), never a header injection. */
    static String contentDisposition(String name) {
        StringBuilder ascii = new StringBuilder();
        for (char c : name.toCharArray()) {
            ascii.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '_');
        }
        String encoded = URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
        return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    }

    /** View code: a snippet replaying the session's request ({@code lang=python|curl|javascript}). */
    @GET
    @Path("/{id}/code")
    @Produces(MediaType.TEXT_PLAIN)
    public String code(@RestPath UUID id, @RestQuery @DefaultValue("python") String lang) {
        return snippets.snippet(callers.caller(), id, lang);
    }

    /** Export as Markdown (the current branch) or JSON (the whole session). */
    @GET
    @Path("/{id}/export")
    @Produces({ "text/markdown", MediaType.APPLICATION_JSON })
    public Response export(@RestPath UUID id, @RestQuery @DefaultValue("markdown") String format) {
        String body = sessions.export(callers.caller(), id, format, mapper);
        String type = "json".equals(format) ? MediaType.APPLICATION_JSON : "text/markdown; charset=utf-8";
        String file = "chat-" + id + ("json".equals(format) ? ".json" : ".md");
        return Response.ok(body, type).header("Content-Disposition", "attachment; filename=\"" + file + "\"")
                .build();
    }

    private static UUID cursor(String before) {
        if (before == null || before.isBlank()) {
            return null;
        }
        try {
            return UUID.fromString(before.trim());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("before", "before must be the id of a message (the next link names it)");
        }
    }

    private static Integer number(String limit) {
        if (limit == null || limit.isBlank()) {
            return null;
        }
        try {
            return Integer.valueOf(limit.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("limit", "limit must be a whole number");
        }
    }
}
