package io.parley.registry.rest;

import java.time.Duration;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.parley.registry.config.RegistryConfig;
import io.parley.registry.model.ModelStatus;
import io.parley.registry.service.ConstraintsService;
import io.parley.registry.service.ModelViewService;
import io.parley.registry.service.ModelsDelta;
import io.parley.registry.service.ModelsSnapshot;
import io.parley.registry.service.ViewEvent;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Multi;

@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@Authenticated
@Tag(name = "models")
@SecurityRequirement(name = "bearer")
public class ModelsResource {

    private final ModelViewService view;
    private final ConstraintsService constraints;
    private final Visibility visibility;
    private final SecurityIdentity identity;

    private final Duration keepAlive;
    private final int maxBacklog;

    public ModelsResource(ModelViewService view, ConstraintsService constraints, RegistryConfig config,
            Visibility visibility, SecurityIdentity identity) {
        this.view = view;
        this.constraints = constraints;
        this.visibility = visibility;
        this.identity = identity;
        this.keepAlive = config.changes().keepAlive();
        this.maxBacklog = config.changes().maxBacklog();
    }

    @GET
    @Operation(summary = "Every known model with its state and, when not ready, a human reason")
    public ModelList all() {
        ModelsSnapshot snapshot = view.snapshot();
        return new ModelList(ModelView.of(snapshot.models(), visibility.internal(identity)), snapshot.stale());
    }

    @GET
    @Path("/running")
    @Operation(summary = "Models that are running: deployment served, endpoint resolved, probe ok within the TTL")
    public ModelList running() {
        ModelsSnapshot snapshot = view.snapshot();
        return new ModelList(ModelView.of(snapshot.models().stream().filter(ModelStatus::ready).toList(),
                visibility.internal(identity)), snapshot.stale());
    }

    @GET
    @Path("/{name}/constraints")
    @Operation(summary = "Limits and request defaults of a model")
    @APIResponse(responseCode = "200", description = "the constraints")
    @APIResponse(responseCode = "404", description = "unknown model (code model_not_found)")
    public Constraints constraints(@PathParam("name") String name) {
        return constraints.constraints(name).map(Constraints::of).orElseThrow(() -> RegistryException.modelNotFound(name));
    }

    @GET
    @Path("/changes")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Change stream: a `snapshot` event with every model on connect, then a `delta` event per "
            + "revision with only the entries that changed")
    @APIResponse(responseCode = "200", description = "text/event-stream; id = revision. `snapshot`: "
            + "{\"revision\":n,\"stale\":b,\"models\":[...as GET /v1/models...]}; `delta`: {\"revision\":n,"
            + "\"base_revision\":n-1,\"stale\":b,\"upserted\":[...entries...],\"removed\":[...ids...]}; a follower "
            + "whose last revision is not base_revision reconnects; keep-alive comments when idle")
    public Multi<OutboundSseEvent> changes(@Context Sse sse) {
        boolean internal = visibility.internal(identity);
        view.refresh();
        Multi<OutboundSseEvent> changes = Multi.createFrom()
                .deferred(() -> Multi.createFrom().publisher(view.follow(maxBacklog)))
                .map(event -> event(sse, event, internal));
        Multi<OutboundSseEvent> keepAlives = Multi.createFrom().ticks().every(keepAlive)
                .onOverflow().drop()
                .map(tick -> sse.newEventBuilder().comment("keep-alive").build());
        // one event at a time from each, so the feed sees the connection's own demand and bounds its backlog
        return Multi.createBy().merging().withRequests(1).streams(changes, keepAlives);
    }

    private static OutboundSseEvent event(Sse sse, ViewEvent event, boolean internal) {
        var builder = sse.newEventBuilder()
                .id(Long.toString(event.revision()))
                .mediaType(MediaType.APPLICATION_JSON_TYPE);
        if (event instanceof ModelsDelta d) {
            return builder.name("delta")
                    .data(ModelsDeltaEvent.class, new ModelsDeltaEvent(d.revision(), d.baseRevision(), d.stale(),
                            ModelView.of(d.upserted(), internal), d.removed()))
                    .build();
        }
        ModelsSnapshot s = (ModelsSnapshot) event;
        return builder.name("snapshot")
                .data(ModelsSnapshotEvent.class,
                        new ModelsSnapshotEvent(s.revision(), s.stale(), ModelView.of(s.models(), internal)))
                .build();
    }
}
