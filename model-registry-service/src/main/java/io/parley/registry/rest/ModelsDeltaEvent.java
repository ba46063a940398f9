package io.parley.registry.rest;

import java.util.List;

/**
 * The data of a {@code delta} event of the change stream: from {@code base_revision} to {@code revision}, the entries
 * that are new or changed ({@code upserted}, whole, as in {@code GET /v1/models}) and the ids of those that left
 * ({@code removed}). A follower whose last revision is not {@code base_revision} missed one and reconnects for a
 * snapshot.
 */
public record ModelsDeltaEvent(long revision, long baseRevision, boolean stale, List<ModelView> upserted,
        List<String> removed) {
}
