package io.parley.chat.ui;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.client.SseEvent;

import io.smallrye.mutiny.Multi;

/** The registry's full model list (every model with its state and reason) and its change stream, for the playground. */
@RegisterRestClient(configKey = "registry")
@Produces(MediaType.APPLICATION_JSON)
interface RegistryModelsApi {

    @GET
    @Path("/v1/models")
    Response all(@HeaderParam("Authorization") String authorization);

    /** The registry's change stream: a {@code snapshot} event on connect, then a {@code delta} event per change. */
    @GET
    @Path("/v1/models/changes")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    Multi<SseEvent<String>> changes(@HeaderParam("Authorization") String authorization);
}
