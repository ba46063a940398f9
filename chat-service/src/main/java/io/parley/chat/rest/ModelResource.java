package io.parley.chat.rest;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.RestPath;

import io.parley.chat.client.RegistryClient;
import io.parley.chat.security.CallerResolver;
import io.quarkus.security.Authenticated;

/** The registry's model views, relayed for the playground with the user's token. */
@Path("/v1/models")
@Authenticated
@Produces(MediaType.APPLICATION_JSON)
public class ModelResource {

    private final RegistryClient registry;
    private final CallerResolver callers;

    public ModelResource(RegistryClient registry, CallerResolver callers) {
        this.registry = registry;
        this.callers = callers;
    }

    @GET
    @Path("/running")
    public Response running() {
        return relay(registry.running(callers.caller().accessToken()));
    }

    @GET
    @Path("/{name}/constraints")
    public Response constraints(@RestPath String name) {
        return relay(registry.constraintsRaw(name, callers.caller().accessToken()));
    }

    private static Response relay(RegistryClient.Relayed r) {
        return Response.status(r.status()).type(MediaType.APPLICATION_JSON).entity(r.body()).build();
    }
}
