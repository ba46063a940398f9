package io.parley.chat.rest;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestResponse;

import io.parley.chat.security.CallerResolver;
import io.parley.chat.service.CreateSessionRequest;
import io.parley.chat.service.SessionService;
import io.parley.chat.service.SessionView;
import io.quarkus.security.Authenticated;

/** Chat sessions of the caller (BRIEF §5). */
@Path("/v1/chat/sessions")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class SessionResource {

    private final SessionService sessions;
    private final CallerResolver callers;

    public SessionResource(SessionService sessions, CallerResolver callers) {
        this.sessions = sessions;
        this.callers = callers;
    }

    @POST
    public RestResponse<SessionView> create(CreateSessionRequest request) {
        return RestResponse.status(RestResponse.Status.CREATED, sessions.create(callers.caller(), request));
    }

    @GET
    public Map<String, List<SessionView>> list() {
        return Map.of("data", sessions.list(callers.caller()));
    }

    @GET
    @Path("/{id}")
    public SessionView get(@RestPath UUID id) {
        return sessions.get(callers.caller(), id);
    }
}
