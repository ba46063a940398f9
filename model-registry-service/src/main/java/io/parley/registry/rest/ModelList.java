package io.parley.registry.rest;

import java.util.List;

/**
 * {@code {"models":[...], "stale": false}}; {@code stale} is true while a watch of the cluster has been unable to
 * reconnect for longer than configured (the list may then miss changes).
 */
public record ModelList(List<ModelView> models, boolean stale) {
}
