package io.parley.registry.model;

import java.util.List;
import java.util.Optional;

/** A model as a source declares it, before health is taken into account. */
public record DeclaredModel(
        String name,
        String deployment,
        Optional<String> namespace,
        String source,
        String engineType,
        String task,
        List<Endpoint> endpoints,
        Serving serving,
        ModelTraits traits) {
}
