package io.parley.registry.kubernetes;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses equality label selectors: {@code k=v,k2==v2} (value must equal) and {@code k} (label present). */
public final class LabelSelectors {

    private LabelSelectors() {
    }

    /** Label key to the required value, or to {@code null} when only presence is required. */
    public static Map<String, String> parse(String selector) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : selector.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq < 0) {
                out.put(p, null);
            } else {
                String value = p.substring(eq + 1);
                if (value.startsWith("=")) {
                    value = value.substring(1);
                }
                out.put(p.substring(0, eq).trim(), value.trim());
            }
        }
        return out;
    }
}
