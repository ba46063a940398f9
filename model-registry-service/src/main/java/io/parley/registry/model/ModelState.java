package io.parley.registry.model;

/** The states a model is listed with (the {@code state} field of the API). */
public final class ModelState {

    /** Served, endpoint resolved, last probe succeeded within the TTL. */
    public static final String READY = "Ready";
    /** On its way: pods not ready yet, no endpoint yet, not probed yet. */
    public static final String PENDING = "Pending";
    /** Served but the upstream fails its probes (or the last success is older than the TTL). */
    public static final String UNHEALTHY = "Unhealthy";
    /** Something it depends on does not exist (bundle, pods). */
    public static final String NOT_FOUND = "NotFound";
    /** A custom resource it depends on cannot be read (the reason names the field). */
    public static final String INVALID = "Invalid";
    /** The deployment or its pods failed. */
    public static final String FAILED = "Failed";

    private ModelState() {
    }
}
