package io.parley.chat.rest;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestResponse;

import io.parley.chat.security.CallerResolver;
import io.parley.chat.service.PresetService;
import io.parley.chat.service.PresetService.PresetRequest;
import io.parley.chat.service.PresetService.PresetView;
import io.quarkus.security.Authenticated;
import io.smallrye.common.annotation.Blocking;

/** The caller's presets: named parameters, system prompt and envelope to start a chat with. */
@Path("/v1/chat/presets")
@Authenticated
@Blocking
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class PresetResource {

    private final PresetService presets;
    private final CallerResolver callers;

    public PresetResource(PresetService presets, CallerResolver callers) {
        this.presets = presets;
        this.callers = callers;
    }

    @POST
    public RestResponse<PresetView> create(PresetRequest request) {
        return RestResponse.status(RestResponse.Status.CREATED, presets.create(callers.caller(), request));
    }

    @GET
    public Map<String, List<PresetView>> list() {
        return Map.of("data", presets.list(callers.caller()));
    }

    @GET
    @Path("/{id}")
    public PresetView get(@RestPath UUID id) {
        return presets.get(callers.caller(), id);
    }

    @PATCH
    @Path("/{id}")
    public PresetView update(@RestPath UUID id, PresetRequest request) {
        return presets.update(callers.caller(), id, request);
    }

    @DELETE
    @Path("/{id}")
    public RestResponse<Void> delete(@RestPath UUID id) {
        presets.delete(callers.caller(), id);
        return RestResponse.noContent();
    }
}
