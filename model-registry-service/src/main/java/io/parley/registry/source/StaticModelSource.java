package io.parley.registry.source;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.registry.config.RegistryConfig;
import io.parley.registry.config.RegistryConfig.ModelSettings;
import io.parley.registry.config.RegistryConfig.SourceKind;
import io.parley.registry.model.DeclaredModel;
import io.parley.registry.model.DeploymentInfo;
import io.parley.registry.model.Endpoint;
import io.parley.registry.model.ModelCapabilities;
import io.parley.registry.model.ModelTraits;
import io.parley.registry.model.Serving;
import io.quarkus.logging.Log;

/**
 * Endpoints registered in configuration ({@code parley.registry.static.endpoints.<name>.*}). Their deployments count as
 * served; only the health probe decides whether their models run.
 */
@ApplicationScoped
public class StaticModelSource implements ModelSource {

    public static final String NAME = "static";

    private final boolean enabled;
    private final List<DeclaredModel> models;
    private final List<DeploymentInfo> deployments;

    public StaticModelSource(RegistryConfig config) {
        this.enabled = config.source().contains(SourceKind.STATIC);
        this.models = enabled ? List.copyOf(load(config)) : List.of();
        this.deployments = enabled ? config.staticSource().endpoints().entrySet().stream()
                .map(e -> new DeploymentInfo(e.getKey(), Optional.empty(), NAME, NAME, Optional.empty(),
                        Serving.yes(), List.of(new Endpoint(e.getValue().url(), e.getValue().credentialRef())),
                        Optional.of(NAME), List.copyOf(e.getValue().models()), List.of(), List.of(), List.of()))
                .sorted(java.util.Comparator.comparing(DeploymentInfo::name))
                .toList() : List.of();
        if (enabled) {
            Log.infof("static source: %d endpoint(s), %d model(s)", config.staticSource().endpoints().size(),
                    models.size());
        }
    }

    private static List<DeclaredModel> load(RegistryConfig config) {
        var out = new ArrayList<DeclaredModel>();
        config.staticSource().endpoints().forEach((endpointName, endpoint) -> {
            var url = new Endpoint(endpoint.url(), endpoint.credentialRef());
            for (String model : endpoint.models()) {
                ModelSettings settings = endpoint.modelSettings().get(model);
                List<String> capabilities = ModelCapabilities.normalize(
                        settings == null ? List.of() : settings.capabilities().orElse(List.of()));
                Optional<String> category = settings == null ? Optional.empty()
                        : settings.category().map(String::trim).filter(c -> !c.isEmpty());
                String task = ModelCapabilities.task(settings == null ? Optional.empty() : settings.task(),
                        capabilities, category, config.defaults().task());
                ModelCapabilities.requireKnown(
                        "parley.registry.static.endpoints." + endpointName + ".model.\"" + model + "\"", task,
                        capabilities);
                List<String> aliases = settings == null ? List.of()
                        : settings.aliases().orElse(List.of()).stream().map(String::trim)
                                .filter(a -> !a.isEmpty() && !a.equals(model)).distinct().toList();
                out.add(new DeclaredModel(model, endpointName, Optional.empty(), NAME, endpoint.engineType(), task,
                        List.of(url), Serving.yes(), traits(config, settings), aliases, capabilities, category));
            }
        });
        return out;
    }

    static ModelTraits traits(RegistryConfig config, ModelSettings settings) {
        Map<String, Object> defaults = new LinkedHashMap<>();
        if (settings == null) {
            defaults.put("temperature", config.defaults().temperature());
            defaults.put("top_p", config.defaults().topP());
            return ModelTraits.defaults(Collections.unmodifiableMap(defaults));
        }
        defaults.put("temperature", settings.temperature().orElse(config.defaults().temperature()));
        defaults.put("top_p", settings.topP().orElse(config.defaults().topP()));
        return new ModelTraits(settings.maxModelLen(), settings.contextSize(), settings.maxTokensDefault(),
                Collections.unmodifiableMap(defaults), settings.supportsStreaming().orElse(true),
                settings.supportsSystemPrompt().orElse(true));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean enabled() {
        return enabled;
    }

    @Override
    public boolean ready() {
        return true;
    }

    @Override
    public List<DeclaredModel> models() {
        return models;
    }

    @Override
    public List<DeploymentInfo> deployments() {
        return deployments;
    }
}
