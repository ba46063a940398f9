package io.parley.registry.service;

import java.util.List;

import io.parley.registry.model.ModelStatus;

/** One version of the view: a revision number that grows with every change, and every known model. */
public record ModelsSnapshot(long revision, List<ModelStatus> models) {
}
