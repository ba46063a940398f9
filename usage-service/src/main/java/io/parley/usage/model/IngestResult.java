package io.parley.usage.model;

import java.util.List;

/** Answer of {@code POST /v1/usage/events}. */
public record IngestResult(int accepted, int duplicates, List<Rejection> rejected) {
}
