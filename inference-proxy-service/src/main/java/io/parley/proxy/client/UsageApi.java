package io.parley.proxy.client;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.rest.client.annotation.RegisterProvider;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

@RegisterRestClient(configKey = "usage")
@RegisterProvider(ServiceTokenFilter.class)
@Path("/v1/usage/events")
interface UsageApi {

    /** Body {@code {"events":[...]}}, pre-serialized: the outbox already holds each event's JSON. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    UsageClient.IngestResult ingest(String body);
}
