package io.parley.registry.source;

import java.util.List;
import java.util.Optional;

import io.parley.registry.model.DeclaredModel;
import io.parley.registry.model.DeploymentInfo;

/**
 * Where models come from. A source keeps its own current picture (configuration, informer caches) and fires
 * {@link SourceChanged} whenever that picture changes; the registry's view is rebuilt from {@link #models()}.
 */
public interface ModelSource {

    /** {@code static} or {@code kubernetes}: the {@code source} field of every model it declares. */
    String name();

    /** Whether configuration selected this source. */
    boolean enabled();

    /** Loaded (static) or every informer synced (kubernetes). Readiness stays DOWN until then. */
    boolean ready();

    /** Why the source is not ready, for the readiness check. */
    default Optional<String> notReadyReason() {
        return ready() ? Optional.empty() : Optional.of("not loaded yet");
    }

    /**
     * True while the source cannot keep its picture current (a watch that has not reconnected for longer than
     * configured): its models are still listed, but may be out of date.
     */
    default boolean stale() {
        return false;
    }

    /** What a person should know that does not hold readiness back (e.g. a kind whose CRD is not installed). */
    default List<String> notes() {
        return List.of();
    }

    /** The models it declares now; never blocks, never calls a remote system. */
    List<DeclaredModel> models();

    /** The deployments it knows, with pods and endpoint resolution; never calls a remote system. */
    List<DeploymentInfo> deployments();
}
