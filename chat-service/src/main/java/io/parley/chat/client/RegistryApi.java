package io.parley.chat.client;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** model-registry-service as chat-service calls it (docs/architecture.md). */
@RegisterRestClient(configKey = "registry")
@Produces(MediaType.APPLICATION_JSON)
interface RegistryApi {

    @GET
    @Path("/v1/models/running")
    Response running(@HeaderParam("Authorization") String authorization);

    @GET
    @Path("/v1/models")
    Response all(@HeaderParam("Authorization") String authorization);

    @GET
    @Path("/v1/models/{name}/constraints")
    Response constraints(@PathParam("name") String name, @HeaderParam("Authorization") String authorization);
}
