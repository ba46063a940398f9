package io.parley.simulator.service;

import io.parley.simulator.token.Generation;

/** A validated request ready to be served: who asked what, how to pace it, and the answer's generator. */
public record Plan(String id, long created, GenerationRequest request, Behaviour behaviour, Generation generation) {
}
