package io.parley.registry.rest;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.parley.registry.model.ModelStatus;
import io.parley.registry.service.ModelViewService;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;

@Path("/v1/deployments")
@Produces(MediaType.APPLICATION_JSON)
@Authenticated
@Tag(name = "deployments")
@SecurityRequirement(name = "bearer")
public class DeploymentsResource {

    /** {@code {"deployments":[...]}}. */
    public record DeploymentList(List<DeploymentView> deployments) {
    }

    private final ModelViewService view;
    private final Visibility visibility;
    private final SecurityIdentity identity;

    public DeploymentsResource(ModelViewService view, Visibility visibility, SecurityIdentity identity) {
        this.view = view;
        this.visibility = visibility;
        this.identity = identity;
    }

    @GET
    @Operation(summary = "Every deployment with served-ness, endpoint, models, groups and readiness per pod")
    public DeploymentList all(
            @Parameter(description = "only this namespace") @QueryParam("namespace") String namespace) {
        List<ModelStatus> models = view.all();
        return new DeploymentList(view.deployments().stream()
                .filter(d -> namespace == null || d.namespace().map(namespace::equals).orElse(false))
                .map(d -> DeploymentView.of(d, models, visibility.internal(identity)))
                .toList());
    }

    @GET
    @Path("/{name}")
    @Operation(summary = "One deployment by name (first match across namespaces unless ?namespace= is given)")
    @APIResponse(responseCode = "404", description = "unknown deployment (code deployment_not_found)")
    public DeploymentView one(@PathParam("name") String name,
            @Parameter(description = "namespace of the deployment") @QueryParam("namespace") String namespace) {
        List<ModelStatus> models = view.all();
        return view.deployments().stream()
                .filter(d -> d.name().equals(name))
                .filter(d -> namespace == null || d.namespace().map(namespace::equals).orElse(false))
                .findFirst()
                .map(d -> DeploymentView.of(d, models, visibility.internal(identity)))
                .orElseThrow(() -> RegistryException.deploymentNotFound(name));
    }
}
