package io.parley.registry.model;

import java.util.List;
import java.util.Optional;

/**
 * A model as a source declares it, before health is taken into account.
 *
 * @param name the serving name clients send as {@code model}
 * @param task {@code chat}, {@code completion} (serves only {@code /v1/completions}) or {@code embedding}
 * @param aliases other names the upstream accepts for this model (empty when none)
 * @param capabilities among {@link ModelCapabilities#KNOWN}; {@code ["text"]} when nobody said otherwise
 * @param category e.g. {@code chat}, {@code embedding} (SambaStack's {@code Model.spec.metadata.category})
 */
public record DeclaredModel(
        String name,
        String deployment,
        Optional<String> namespace,
        String source,
        String engineType,
        String task,
        List<Endpoint> endpoints,
        Serving serving,
        ModelTraits traits,
        List<String> aliases,
        List<String> capabilities,
        Optional<String> category) {

    public DeclaredModel {
        aliases = List.copyOf(aliases);
        capabilities = capabilities.isEmpty() ? ModelCapabilities.DEFAULT : List.copyOf(capabilities);
    }

    /** A model without aliases, with the default capabilities and no category. */
    public DeclaredModel(String name, String deployment, Optional<String> namespace, String source, String engineType,
            String task, List<Endpoint> endpoints, Serving serving, ModelTraits traits) {
        this(name, deployment, namespace, source, engineType, task, endpoints, serving, traits, List.of(),
                ModelCapabilities.DEFAULT, Optional.empty());
    }

    /** The stable key of the entry: {@code <namespace or 'static'>/<deployment>/<name>}. */
    public String id() {
        return namespace.orElse("static") + "/" + deployment + "/" + name;
    }
}
