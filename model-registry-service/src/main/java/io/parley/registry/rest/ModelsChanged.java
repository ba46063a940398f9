package io.parley.registry.rest;

import java.util.List;

/**
 * The data of a {@code models} event of the change stream: the full model list (as {@code GET /v1/models}) at a
 * revision. Revisions grow by one with every change of the view.
 */
public record ModelsChanged(long revision, boolean stale, List<ModelView> models) {
}
