package io.parley.chat.usage;

import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;
import org.jboss.resteasy.reactive.RestQuery;

/** usage-service's query API (usage-service/README.md) as chat-service calls it, with the user's own token. */
@RegisterRestClient(configKey = "usage")
interface UsageApi {

    @GET
    @Path("/admin/usage")
    Response adminRecords(@RestQuery Map<String, String> query, @HeaderParam("Authorization") String authorization,
            @HeaderParam("Accept") String accept);

    @GET
    @Path("/admin/usage/summary")
    Response adminSummary(@RestQuery Map<String, String> query, @HeaderParam("Authorization") String authorization,
            @HeaderParam("Accept") String accept);

    @GET
    @Path("/v1/usage/me")
    Response myRecords(@RestQuery Map<String, String> query, @HeaderParam("Authorization") String authorization,
            @HeaderParam("Accept") String accept);

    @GET
    @Path("/v1/usage/me/summary")
    Response mySummary(@RestQuery Map<String, String> query, @HeaderParam("Authorization") String authorization,
            @HeaderParam("Accept") String accept);
}
