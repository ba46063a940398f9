package io.parley.chat.rest;

import java.io.IOException;
import java.util.UUID;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

import io.parley.chat.security.CallerResolver;
import io.parley.chat.service.ApiException;
import io.parley.chat.service.Caller;
import io.parley.chat.service.MessageView;
import io.parley.chat.service.TurnEvent;
import io.parley.chat.service.TurnService;
import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerResponse;

/**
 * Turns: {@code POST} starts one and streams its events as SSE ({@code Accept: application/json} instead waits and
 * answers the finished assistant message); {@code GET .../events} resumes a turn after {@code Last-Event-ID};
 * {@code POST .../stop} stops it. The SSE connection only follows the turn: closing it does not stop generation.
 */
@Path("/v1/chat/sessions")
@Authenticated
public class TurnResource {

    private final TurnService turns;
    private final CallerResolver callers;
    private final TurnBodyReader bodies;

    public TurnResource(TurnService turns, CallerResolver callers, TurnBodyReader bodies) {
        this.turns = turns;
        this.callers = callers;
        this.bodies = bodies;
    }

    @POST
    @Path("/{sessionId}/turns")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> start(@RestPath UUID sessionId, byte[] body, @Context Sse sse,
            @Context HttpServerResponse response) throws IOException {
        Caller caller = callers.caller();
        TurnBodyReader.TurnBody turn = bodies.read(body);
        UUID turnId = turns.start(caller, sessionId, turn.request(), turn.payloads());
        return sse(turnId, turns.events(caller, sessionId, turnId, 0), sse, response);
    }

    /**
     * The non-streaming fallback: same turn, answered as the stored assistant message once it ends. The worker thread
     * only starts the turn (blocking: the database); the answer follows when the turn ends, with no thread waiting.
     */
    @POST
    @Path("/{sessionId}/turns")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<MessageView> startAndWait(@RestPath UUID sessionId, byte[] body) throws IOException {
        Caller caller = callers.caller();
        TurnBodyReader.TurnBody turn = bodies.read(body);
        UUID turnId = turns.start(caller, sessionId, turn.request(), turn.payloads());
        return turns.awaitEnd(caller, sessionId, turnId);
    }

    @GET
    @Blocking
    @Path("/{sessionId}/turns/{turnId}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> events(@RestPath UUID sessionId, @RestPath UUID turnId,
            @HeaderParam("Last-Event-ID") String lastEventId, @RestQuery("last_event_id") String lastEventIdQuery,
            @Context Sse sse, @Context HttpServerResponse response) {
        long after = parseLastEventId(lastEventId != null ? lastEventId : lastEventIdQuery);
        return sse(turnId, turns.events(callers.caller(), sessionId, turnId, after), sse, response);
    }

    /**
     * Stops the turn on whichever replica runs it: the stored message with {@code stop_result} {@code stopped} (this
     * stop ended it) or {@code already_ended}; 503 {@code stop_pending} (retry) when the end is not stored in time.
     */
    @POST
    @Path("/{sessionId}/turns/{turnId}/stop")
    @Blocking
    @Produces(MediaType.APPLICATION_JSON)
    public com.fasterxml.jackson.databind.node.ObjectNode stop(@RestPath UUID sessionId, @RestPath UUID turnId) {
        return turns.stop(callers.caller(), sessionId, turnId);
    }

    /**
     * Regenerate: a new answer to the same user message, streamed like a turn; earlier answers are kept as siblings
     * ({@code parent_id} = the user message). {@code messageId} is the answer to redo or its user message.
     */
    @POST
    @Path("/{sessionId}/messages/{messageId}/regenerate")
    @Blocking
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> regenerate(@RestPath UUID sessionId, @RestPath UUID messageId, @Context Sse sse,
            @Context HttpServerResponse response) {
        Caller caller = callers.caller();
        UUID turnId = turns.regenerate(caller, sessionId, messageId);
        return sse(turnId, turns.events(caller, sessionId, turnId, 0), sse, response);
    }

    private static Multi<OutboundSseEvent> sse(UUID turnId, Multi<TurnEvent> events, Sse sse,
            HttpServerResponse response) {
        // set before the first byte: the client learns the turn id (for stop and resume) with the headers
        response.putHeader("X-Turn-Id", turnId.toString());
        response.putHeader("X-Accel-Buffering", "no");
        response.putHeader("Cache-Control", "no-cache");
        // a saving event is not in the turn's log: no id, so Last-Event-ID stays at the last logged event
        return events.map(e -> {
            OutboundSseEvent.Builder b = sse.newEventBuilder().name(e.name()).mediaType(MediaType.TEXT_PLAIN_TYPE)
                    .data(String.class, e.data().toString());
            if (e.logged()) {
                b.id(Long.toString(e.seq()));
            }
            return b.build();
        });
    }

    private static long parseLastEventId(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("Last-Event-ID", "Last-Event-ID must be an event id of this turn");
        }
    }
}
