package io.parley.chat.rest;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.parley.chat.security.CallerResolver;
import io.parley.chat.service.ApiException;
import io.parley.chat.service.ComparisonService;
import io.parley.chat.service.ComparisonView;
import io.parley.chat.service.CreateComparisonRequest;
import io.parley.chat.service.SessionView;
import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;

/**
 * Comparisons of the caller: one prompt to 2–4 models, each column an ordinary chat session whose turn is streamed,
 * stopped and resumed through the session's turn routes (ADR 0020).
 */
@Path("/v1/chat/comparisons")
@Authenticated
@Blocking
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ComparisonResource {

    private final ComparisonService comparisons;
    private final CallerResolver callers;

    public ComparisonResource(ComparisonService comparisons, CallerResolver callers) {
        this.comparisons = comparisons;
        this.callers = callers;
    }

    /** Starts a comparison: 201 with its columns, each with the {@code turn_id} to stream. */
    @POST
    public RestResponse<ComparisonView> create(CreateComparisonRequest request) {
        return RestResponse.status(RestResponse.Status.CREATED, comparisons.create(callers.caller(), request));
    }

    @GET
    public Map<String, List<ComparisonView>> list() {
        return Map.of("data", comparisons.list(callers.caller()));
    }

    @GET
    @Path("/{id}")
    public ComparisonView get(@RestPath UUID id) {
        return comparisons.get(callers.caller(), id);
    }

    @DELETE
    @Path("/{id}")
    public RestResponse<Void> delete(@RestPath UUID id) {
        comparisons.delete(callers.caller(), id);
        return RestResponse.noContent();
    }

    /** Stops every column still generating. */
    @POST
    @Path("/{id}/stop")
    public ObjectNode stop(@RestPath UUID id) {
        return comparisons.stopAll(callers.caller(), id);
    }

    /** "Continue with this one": {@code {"session_id"}} of a column → 201 a new normal chat with its prompt and answer. */
    @POST
    @Path("/{id}/continue")
    public RestResponse<SessionView> continueWith(@RestPath UUID id, JsonNode body) {
        UUID sessionId = null;
        JsonNode s = body == null ? null : body.get("session_id");
        if (s != null && !s.isNull()) {
            try {
                sessionId = UUID.fromString(s.asText());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("session_id", "session_id must be a session id");
            }
        }
        return RestResponse.status(RestResponse.Status.CREATED,
                comparisons.continueWith(callers.caller(), id, sessionId));
    }
}
