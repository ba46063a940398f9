package io.parley.registry.model;

import java.util.List;

/** A pod group of a BundleDeployment and how many of its pods are ready. */
public record GroupInfo(String name, int minReplicas, int readyPods, List<String> pods) {
}
