package io.parley.registry.rest;

import java.util.List;

/**
 * The data of a {@code snapshot} event of the change stream: the whole model list (as {@code GET /v1/models}) at a
 * revision. Sent first on every connection, and again instead of deltas when a follower fell behind.
 */
public record ModelsSnapshotEvent(long revision, boolean stale, List<ModelView> models) {
}
