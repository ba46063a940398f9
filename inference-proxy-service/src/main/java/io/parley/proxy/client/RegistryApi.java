package io.parley.proxy.client;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.rest.client.annotation.RegisterProvider;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

import io.smallrye.mutiny.Uni;

@RegisterRestClient(configKey = "registry")
@RegisterProvider(ServiceTokenFilter.class)
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
interface RegistryApi {

    @GET
    @Path("/running")
    Uni<RegistryModel.ModelList> running();

    @GET
    Uni<RegistryModel.ModelList> all();
}
