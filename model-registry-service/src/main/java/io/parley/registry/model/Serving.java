package io.parley.registry.model;

import java.util.Optional;

/**
 * Whether a source considers a model's deployment served, and if not, in what state and why (for a person to act on).
 */
public record Serving(boolean served, String state, Optional<String> reason) {

    public static Serving yes() {
        return new Serving(true, ModelState.READY, Optional.empty());
    }

    public static Serving no(String state, String reason) {
        return new Serving(false, state, Optional.of(reason));
    }
}
