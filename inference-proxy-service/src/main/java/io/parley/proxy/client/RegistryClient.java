package io.parley.proxy.client;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.rest.client.inject.RestClient;

import io.smallrye.mutiny.Uni;

/** The registry as the proxy sees it: ready models, and every known model with its state and reason. */
@ApplicationScoped
public class RegistryClient {

    /** Both lists of one refresh. */
    public record Listing(java.util.List<RegistryModel> running, java.util.List<RegistryModel> all) {
    }

    private final RegistryApi api;

    public RegistryClient(@RestClient RegistryApi api) {
        this.api = api;
    }

    public Uni<Listing> fetch() {
        return Uni.combine().all().unis(api.running(), api.all().onFailure().recoverWithItem(new RegistryModel.ModelList(null)))
                .with((running, all) -> new Listing(running.models(), all.models()));
    }
}
