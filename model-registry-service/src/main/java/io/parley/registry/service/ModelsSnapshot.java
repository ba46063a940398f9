package io.parley.registry.service;

import java.util.List;

import io.parley.registry.model.ModelStatus;

/**
 * One version of the view: a revision number that grows with every change, every known model, and whether a source
 * could not keep its picture current ({@code stale}).
 */
public record ModelsSnapshot(long revision, List<ModelStatus> models, boolean stale) implements ViewEvent {
}
