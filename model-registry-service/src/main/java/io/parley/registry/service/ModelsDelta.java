package io.parley.registry.service;

import java.util.List;

import io.parley.registry.model.ModelStatus;

/**
 * The change from revision {@code baseRevision} to {@code revision}: the entries that are new or whose entry changed
 * ({@code upserted}, in the view's order) and the ids of the entries that left the view ({@code removed}). A follower
 * holding exactly {@code baseRevision} reaches {@code revision} by replacing the upserted entries by id and dropping the
 * removed ones; any other follower has missed a revision and re-reads a snapshot.
 */
public record ModelsDelta(long revision, long baseRevision, boolean stale, List<ModelStatus> upserted,
        List<String> removed) implements ViewEvent {

    public ModelsDelta {
        upserted = List.copyOf(upserted);
        removed = List.copyOf(removed);
    }
}
