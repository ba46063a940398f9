package io.parley.registry.rest;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.parley.registry.service.HealthPoller;
import io.parley.registry.service.ModelViewService;
import io.smallrye.mutiny.Uni;

@Path("/admin/upstreams")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed("admin")
@Tag(name = "admin")
@SecurityRequirement(name = "bearer")
public class AdminResource {

    private final HealthPoller poller;
    private final ModelViewService view;

    public AdminResource(HealthPoller poller, ModelViewService view) {
        this.poller = poller;
        this.view = view;
    }

    @POST
    @Path("/refresh-health")
    @Operation(summary = "Probe every upstream now; answers the resulting model list")
    public Uni<ModelList> refreshHealth() {
        return poller.probeAll().map(ignored -> {
            var snapshot = view.snapshot();
            return new ModelList(ModelView.of(snapshot.models(), true), snapshot.stale());
        });
    }
}
