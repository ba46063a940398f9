package io.parley.registry.rest;

import java.util.List;

/** {@code {"models":[...]}}. */
public record ModelList(List<ModelView> models) {
}
