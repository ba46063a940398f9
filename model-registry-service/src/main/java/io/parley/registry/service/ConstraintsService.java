package io.parley.registry.service;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.registry.config.RegistryConfig;
import io.parley.registry.model.ModelConstraints;
import io.parley.registry.model.ModelStatus;

/** Derives a model's constraints from what its source declares and what its upstream reports. */
@ApplicationScoped
public class ConstraintsService {

    private final ModelViewService view;
    private final int maxTokensCap;

    public ConstraintsService(ModelViewService view, RegistryConfig config) {
        this.view = view;
        this.maxTokensCap = config.defaults().maxTokensCap();
    }

    public Optional<ModelConstraints> constraints(String name) {
        return view.find(name).map(this::of);
    }

    ModelConstraints of(ModelStatus status) {
        var traits = status.model().traits();
        Optional<Integer> maxModelLen = status.maxModelLen();
        Integer contextSize = traits.contextSize().or(() -> maxModelLen).orElse(null);
        int maxTokensDefault = traits.maxTokensDefault()
                .orElseGet(() -> maxModelLen.map(len -> Math.max(1, Math.min(maxTokensCap, len / 2)))
                        .orElse(maxTokensCap));
        return new ModelConstraints(status.model().name(), status.model().engineType(), status.model().task(),
                contextSize, maxModelLen.orElse(null), maxTokensDefault, traits.requestDefaults(),
                traits.supportsStreaming(), traits.supportsSystemPrompt());
    }
}
