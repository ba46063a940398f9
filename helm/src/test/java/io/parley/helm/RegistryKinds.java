package io.parley.helm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SambaStack kinds the registry watches by default, read from its own source (the default of
 * {@code parley.registry.kubernetes.kinds} in RegistryConfig, the plurals of KubernetesModelSource.Kind), so that the
 * RBAC of the chart, k8s/base and k8s/samples cannot drift from what the code lists and watches.
 */
final class RegistryKinds {

    static final Path REGISTRY = Chart.MODULE.getParent().resolve("model-registry-service/src/main/java/io/parley/registry");

    private RegistryKinds() {
    }

    /** Kind → plural, as KubernetesModelSource.Kind declares them. */
    static Map<String, String> known() {
        Matcher m = Pattern.compile("[A-Z_]+\\(\"(\\w+)\", \"(\\w+)\"\\)")
                .matcher(read(REGISTRY.resolve("kubernetes/KubernetesModelSource.java")));
        Map<String, String> kinds = new LinkedHashMap<>();
        while (m.find()) {
            kinds.put(m.group(1), m.group(2));
        }
        if (kinds.isEmpty()) {
            throw new IllegalStateException("no Kind(...) entries found in KubernetesModelSource.java");
        }
        return kinds;
    }

    /** The plurals of the kinds watched by default. */
    static List<String> plurals() {
        Matcher m = Pattern.compile("@WithDefault\\(\"([A-Za-z,]+)\"\\)\\s+List<String> kinds\\(\\)")
                .matcher(read(REGISTRY.resolve("config/RegistryConfig.java")));
        if (!m.find()) {
            throw new IllegalStateException("no default of kinds() in RegistryConfig.java");
        }
        Map<String, String> known = known();
        List<String> plurals = new ArrayList<>();
        for (String kind : m.group(1).split(",")) {
            plurals.add(known.get(kind.trim()));
        }
        return plurals;
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
