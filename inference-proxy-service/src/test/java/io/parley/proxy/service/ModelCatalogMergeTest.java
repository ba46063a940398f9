package io.parley.proxy.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.parley.proxy.client.RegistryModel;
import io.parley.proxy.client.RegistryModel.Endpoint;

/**
 * One model name served by several deployments resolves to all of their ready endpoints; a registry listing fetched
 * before the latest change-stream view never replaces it.
 */
class ModelCatalogMergeTest {

    static RegistryModel model(String deployment, String state, String... urls) {
        return new RegistryModel("m", deployment, "ns", "kubernetes", "vllm", "chat", state,
                state.equals("Ready") ? null : "pod " + deployment + "-default-0 not ready: ContainersNotReady",
                java.util.Arrays.stream(urls).map(u -> new Endpoint(u, null)).toList(), 8192);
    }

    /** Just enough configuration for the catalog: the registry section's miss-refresh interval. */
    /** No allowed variables; no Secret is ever read (the models here name none). */
    static final UpstreamCredentials NO_CREDENTIALS = new UpstreamCredentials(
            new io.parley.proxy.config.CredentialsConfig() {
                @Override
                public java.util.Optional<java.util.Set<String>> allowedEnv() {
                    return java.util.Optional.empty();
                }

                @Override
                public String kubernetesApi() {
                    return "http://127.0.0.1:1";
                }

                @Override
                public String tokenFile() {
                    return "/nonexistent";
                }

                @Override
                public String caFile() {
                    return "/nonexistent";
                }

                @Override
                public java.time.Duration secretTtl() {
                    return java.time.Duration.ofSeconds(60);
                }
            }, null);

    static io.parley.proxy.config.ProxyConfig config() {
        Object registry = java.lang.reflect.Proxy.newProxyInstance(ModelCatalogMergeTest.class.getClassLoader(),
                new Class<?>[] { io.parley.proxy.config.ProxyConfig.Registry.class },
                (proxy, method, args) -> java.time.Duration.ofSeconds(1));
        return (io.parley.proxy.config.ProxyConfig) java.lang.reflect.Proxy.newProxyInstance(
                ModelCatalogMergeTest.class.getClassLoader(), new Class<?>[] { io.parley.proxy.config.ProxyConfig.class },
                (proxy, method, args) -> registry);
    }

    @Test
    void twoReadyDeploymentsOfOneModelAreBalancedAcrossBothEndpoints() {
        Map<String, RegistryModel> running = new LinkedHashMap<>();
        ModelCatalog.putMergingEndpoints(running, model("d1", "Ready", "http://a:8080"));
        ModelCatalog.putMergingEndpoints(running, model("d2", "Ready", "http://b:8080", "http://a:8080"));

        assertEquals(List.of("http://a:8080", "http://b:8080"),
                running.get("m").endpoints().stream().map(Endpoint::url).toList());
        assertEquals("d1", running.get("m").deployment());
    }

    @Test
    void aModelIsReadyWhenAnyOfItsDeploymentsIsEvenIfAnotherIsNot() {
        Map<String, RegistryModel> all = new LinkedHashMap<>();
        ModelCatalog.putPreferringReady(all, model("d1", "Pending"));
        ModelCatalog.putPreferringReady(all, model("d2", "Ready", "http://b:8080"));
        ModelCatalog.putPreferringReady(all, model("d3", "Unhealthy"));

        assertEquals("Ready", all.get("m").state());
        assertEquals("d2", all.get("m").deployment());
    }

    @Test
    void theChangeStreamViewJoinsEndpointsAcrossDeployments() {
        ModelCatalog catalog = new ModelCatalog(null, config(), NO_CREDENTIALS);
        catalog.applyChange(1, List.of(model("d1", "Ready", "http://a:8080"), model("d2", "Unhealthy"),
                model("d3", "Ready", "http://c:8080")));

        var resolution = assertInstanceOf(ModelCatalog.Ready.class, catalog.lookup("m"));
        assertEquals(List.of("http://a:8080", "http://c:8080"),
                resolution.model().endpoints().stream().map(Endpoint::url).toList());
    }

    @Test
    void aListingFetchedBeforeAChangeStreamViewDoesNotUndoIt() {
        java.util.concurrent.CompletableFuture<io.parley.proxy.client.RegistryClient.Listing> inFlight = new java.util.concurrent.CompletableFuture<>();
        io.parley.proxy.client.RegistryClient registry = new io.parley.proxy.client.RegistryClient(null) {
            @Override
            public io.smallrye.mutiny.Uni<Listing> fetch() {
                return io.smallrye.mutiny.Uni.createFrom().completionStage(inFlight);
            }
        };
        ModelCatalog catalog = new ModelCatalog(registry, config(), NO_CREDENTIALS);
        io.smallrye.mutiny.Uni<Void> refresh = catalog.refresh(); // the listing is asked for: without "m"
        java.util.concurrent.CompletableFuture<Void> done = refresh.subscribeAsCompletionStage();
        catalog.applyChange(7, List.of(model("d1", "Ready", "http://a:8000"))); // then the stream says "m" is ready
        inFlight.complete(new io.parley.proxy.client.RegistryClient.Listing(List.of(), List.of()));
        done.join();

        assertInstanceOf(ModelCatalog.Ready.class, catalog.lookup("m"));
    }

    @Test
    void aListingFetchedAfterTheLastChangeStreamViewReplacesIt() {
        ModelCatalog catalog = new ModelCatalog(new io.parley.proxy.client.RegistryClient(null) {
            @Override
            public io.smallrye.mutiny.Uni<Listing> fetch() {
                return io.smallrye.mutiny.Uni.createFrom().item(new Listing(List.of(), List.of()));
            }
        }, config(), NO_CREDENTIALS);
        catalog.applyChange(7, List.of(model("d1", "Ready", "http://a:8000")));
        catalog.refresh().await().indefinitely();

        assertInstanceOf(ModelCatalog.NotFound.class, catalog.lookup("m"));
    }
}
