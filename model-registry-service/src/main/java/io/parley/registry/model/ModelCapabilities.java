package io.parley.registry.model;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The values of a model entry's {@code capabilities} and {@code task}. */
public final class ModelCapabilities {

    /** Capabilities an entry may list (the contract between registry, proxy and playground). */
    public static final Set<String> KNOWN = Set.of("text", "vision", "audio", "embeddings");
    /** What a model nobody described can do. */
    public static final List<String> DEFAULT = List.of("text");
    /** Tasks: chat, completion (only {@code /v1/completions}), embedding. */
    public static final Set<String> TASKS = Set.of("chat", "completion", "embedding");

    private ModelCapabilities() {
    }

    /**
     * The task of a model: the one configured, else {@code embedding} for a model whose category or only capability
     * says so, else the default.
     */
    public static String task(Optional<String> configured, List<String> capabilities, Optional<String> category,
            String fallback) {
        if (configured.isPresent() && !configured.get().isBlank()) {
            return configured.get().trim();
        }
        boolean embedding = category.map(c -> c.equalsIgnoreCase("embedding") || c.equalsIgnoreCase("embeddings"))
                .orElse(false) || capabilities.equals(List.of("embeddings"));
        return embedding ? "embedding" : fallback;
    }

    /** Lower-cased, trimmed, de-duplicated capabilities; {@link #DEFAULT} when none. */
    public static List<String> normalize(List<String> capabilities) {
        List<String> out = capabilities.stream().map(c -> c.trim().toLowerCase(Locale.ROOT)).filter(c -> !c.isEmpty())
                .distinct().toList();
        return out.isEmpty() ? DEFAULT : out;
    }

    /**
     * Checks configured values.
     *
     * @throws IllegalStateException naming the setting and the allowed values
     */
    public static void requireKnown(String where, String task, List<String> capabilities) {
        if (!TASKS.contains(task)) {
            throw new IllegalStateException(where + ".task is '" + task + "'; expected one of " + new TreeSet<>(TASKS));
        }
        for (String c : capabilities) {
            if (!KNOWN.contains(c)) {
                throw new IllegalStateException(
                        where + ".capabilities has '" + c + "'; expected any of " + new TreeSet<>(KNOWN));
            }
        }
    }
}
