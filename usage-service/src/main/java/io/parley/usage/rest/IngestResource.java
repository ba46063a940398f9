package io.parley.usage.rest;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.databind.JsonNode;

import io.parley.usage.model.IngestResult;
import io.parley.usage.service.IngestService;

/** Batched, idempotent ingest of usage events from services holding the {@code usage-writer} role. */
@Path("/v1/usage/events")
public class IngestResource {

    private final IngestService ingest;

    public IngestResource(IngestService ingest) {
        this.ingest = ingest;
    }

    /**
     * Takes {@code {"events":[...]}} and answers {@code {"accepted","duplicates","rejected":[{"index","reason"}]}}. The
     * body is read as a JSON tree so that one malformed event is rejected alone instead of failing the batch.
     */
    @POST
    @RolesAllowed("usage-writer")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public IngestResult ingest(JsonNode body) {
        return ingest.ingest(body);
    }
}
