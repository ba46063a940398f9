package io.parley.registry.source;

/** CDI event: a source's picture changed (an informer event, a reload). */
public record SourceChanged(String source) {
}
