package io.parley.usage.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a summary groups by. Days and hours are UTC. */
public enum GroupBy {
    MODEL,
    USER,
    DAY,
    HOUR;

    public static Optional<GroupBy> parse(String value) {
        return Arrays.stream(values()).filter(g -> g.name().equalsIgnoreCase(value)).findFirst();
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
