package io.parley.usage.rest;

import java.io.IOException;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.parley.usage.model.IngestResult;
import io.parley.usage.service.IngestService;
import io.parley.usage.service.Utf8Events;

/** Batched, idempotent ingest of usage events from services holding the {@code usage-writer} role. */
@Path("/v1/usage/events")
public class IngestResource {

    private final IngestService ingest;
    private final ObjectMapper mapper;

    public IngestResource(IngestService ingest, ObjectMapper mapper) {
        this.ingest = ingest;
        this.mapper = mapper;
    }

    /**
     * Takes {@code {"events":[...]}} and answers {@code {"accepted","duplicates","rejected":[{"index","reason"}]}}. The
     * body is read as a JSON tree so that one malformed event is rejected alone instead of failing the batch; an event
     * whose text is not strict UTF-8 (an overlong or invalid sequence) is rejected alone too, before Jackson decodes it.
     */
    @POST
    @RolesAllowed("usage-writer")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public IngestResult ingest(byte[] body) throws IOException {
        Utf8Events.Checked checked = Utf8Events.check(body == null ? new byte[0] : body);
        JsonNode tree = checked.body().length == 0 ? null : mapper.readTree(checked.body());
        return ingest.ingest(tree, checked.malformedEvents());
    }
}
