package io.parley.usage.model;

/** An event of a batch that was not stored: its position in the batch and why. */
public record Rejection(int index, String reason) {
}
