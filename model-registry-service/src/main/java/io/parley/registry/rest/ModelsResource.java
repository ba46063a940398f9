package io.parley.registry.rest;

import java.time.Duration;
import java.util.function.Consumer;

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
import io.parley.registry.service.ModelsSnapshot;
import io.quarkus.security.Authenticated;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;

@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@Authenticated
@Tag(name = "models")
@SecurityRequirement(name = "bearer")
public class ModelsResource {

    private final ModelViewService view;
    private final ConstraintsService constraints;

    private final Duration keepAlive;

    public ModelsResource(ModelViewService view, ConstraintsService constraints, RegistryConfig config) {
        this.view = view;
        this.constraints = constraints;
        this.keepAlive = config.changes().keepAlive();
    }

    @GET
    @Operation(summary = "Every known model with its state and, when not ready, a human reason")
    public ModelList all() {
        ModelsSnapshot snapshot = view.snapshot();
        return new ModelList(ModelView.of(snapshot.models()), snapshot.stale());
    }

    @GET
    @Path("/running")
    @Operation(summary = "Models that are running: deployment served, endpoint resolved, probe ok within the TTL")
    public ModelList running() {
        ModelsSnapshot snapshot = view.snapshot();
        return new ModelList(ModelView.of(snapshot.models().stream().filter(ModelStatus::ready).toList()),
                snapshot.stale());
    }

    @GET
    @Path("/{name}/constraints")
    @Operation(summary = "Limits and request defaults of a model")
    @APIResponse(responseCode = "200", description = "the constraints")
    @APIResponse(responseCode = "404", description = "unknown model (code model_not_found)")
    public Constraints constraints(@PathParam("name") String name) {
        return constraints.constraints(name).orElseThrow(() -> RegistryException.modelNotFound(name));
    }

    @GET
    @Path("/changes")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Change stream: an SSE event `models` with the full model list now and on every change")
    @APIResponse(responseCode = "200", description = "text/event-stream; event `models`, id = revision, data = "
            + "{\"revision\":n,\"models\":[...as GET /v1/models...]}; keep-alive comments when idle")
    public Multi<OutboundSseEvent> changes(@Context Sse sse) {
        view.refresh();
        Multi<OutboundSseEvent> changes = Multi.createFrom().<OutboundSseEvent> emitter(emitter -> {
            Consumer<ModelsSnapshot> listener = snapshot -> emitter.emit(event(sse, snapshot));
            ModelsSnapshot initial = view.subscribe(listener);
            emitter.onTermination(() -> view.unsubscribe(listener));
            emitter.emit(event(sse, initial));
        }, BackPressureStrategy.BUFFER);
        Multi<OutboundSseEvent> keepAlives = Multi.createFrom().ticks().every(keepAlive)
                .map(tick -> sse.newEventBuilder().comment("keep-alive").build());
        return Multi.createBy().merging().streams(changes, keepAlives);
    }

    private static OutboundSseEvent event(Sse sse, ModelsSnapshot snapshot) {
        return sse.newEventBuilder()
                .name("models")
                .id(Long.toString(snapshot.revision()))
                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(ModelsChanged.class, new ModelsChanged(snapshot.revision(), snapshot.stale(),
                        ModelView.of(snapshot.models())))
                .build();
    }
}
