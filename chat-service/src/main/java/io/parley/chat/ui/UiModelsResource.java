package io.parley.chat.ui;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import org.eclipse.microprofile.rest.client.inject.RestClient;

import io.parley.chat.security.CallerResolver;
import io.parley.chat.service.ApiException;
import io.quarkus.logging.Log;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Multi;

/**
 * {@code GET /ui/models}: the registry's {@code GET /v1/models} (every known model with its {@code state} and human
 * {@code reason}), relayed with the user's token. The playground polls it to fill the model selector (models whose
 * state is {@code Ready}) and to explain an empty selector ("No models running" → why). {@code GET /ui/models/changes}
 * relays the registry's change stream ({@code GET /v1/models/changes}: a {@code snapshot} event with every model on
 * connect, then {@code delta} events with only the entries that changed; an older registry's {@code models} event with
 * the full list is passed on too) event for event, with the same names, ids and data, so the selector follows the
 * registry live; the page falls back to polling when the stream is down.
 */
@Path("/ui/models")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
public class UiModelsResource {

    /** The change stream's events; anything else (keep-alive comments) is not relayed. */
    static final java.util.Set<String> RELAYED = java.util.Set.of("snapshot", "delta", "models");

    private final RegistryModelsApi registry;
    private final CallerResolver callers;

    public UiModelsResource(@RestClient RegistryModelsApi registry, CallerResolver callers) {
        this.registry = registry;
        this.callers = callers;
    }

    @GET
    public Response all() {
        String bearer = "Bearer " + callers.caller().accessToken();
        try (Response r = registry.all(bearer)) {
            return relay(r);
        } catch (WebApplicationException e) {
            return relay(e.getResponse());
        } catch (ProcessingException e) {
            Log.warnf("model registry unreachable: %s", e.getMessage());
            throw ApiException.upstream(503, "registry_unavailable", "model registry is unavailable");
        }
    }

    @GET
    @Path("/changes")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> changes(@Context Sse sse) {
        // the token is read here, on the request, not later when the stream is subscribed
        String bearer = "Bearer " + callers.caller().accessToken();
        return registry.changes(bearer)
                .filter(event -> event.name() != null && RELAYED.contains(event.name()) && event.data() != null)
                .map(event -> sse.newEventBuilder().name(event.name()).id(event.id())
                        .mediaType(MediaType.TEXT_PLAIN_TYPE).data(String.class, event.data()).build());
    }

    private static Response relay(Response r) {
        String body = r.hasEntity() ? r.readEntity(String.class) : "";
        return Response.status(r.getStatus()).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
}
