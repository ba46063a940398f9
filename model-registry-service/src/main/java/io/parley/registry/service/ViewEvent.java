package io.parley.registry.service;

/**
 * What the change stream carries: a whole view ({@link ModelsSnapshot}) or the entries that changed between two
 * consecutive revisions ({@link ModelsDelta}).
 */
public sealed interface ViewEvent permits ModelsSnapshot, ModelsDelta {

    long revision();

    boolean stale();
}
