package io.parley.helm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;

/**
 * Checks a custom resource (Bundle, BundleDeployment) against the structural schema of its CRD the way the API
 * server would prune and validate it: no field the schema does not declare, and the declared types.
 */
final class CustomResources {

    private CustomResources() {
    }

    /** The CRDs of the chart (files/crds/, a copy of the generated k8s/crds/). */
    static List<CustomResourceDefinition> chartCrds() {
        try (Stream<Path> files = Files.list(Chart.DIR.resolve("files/crds"))) {
            return Manifests.parseFiles(files.sorted().toList()).stream()
                    .map(doc -> doc.as(CustomResourceDefinition.class)).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Schema violations of {@code resource}; its CRD is looked up in {@code docs}, else among the chart's CRDs. */
    static List<String> violations(Manifests.Doc resource, List<Manifests.Doc> docs) {
        String apiVersion = (String) resource.raw().get("apiVersion");
        String group = apiVersion.substring(0, apiVersion.indexOf('/'));
        String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
        List<CustomResourceDefinition> crds = new ArrayList<>(docs.stream()
                .filter(doc -> doc.typed() instanceof CustomResourceDefinition)
                .map(doc -> doc.as(CustomResourceDefinition.class)).toList());
        crds.addAll(chartCrds());
        CustomResourceDefinition crd = crds.stream()
                .filter(c -> c.getSpec().getGroup().equals(group)
                        && c.getSpec().getNames().getKind().equals(resource.kind()))
                .findFirst().orElseThrow(() -> new AssertionError("no CRD for " + apiVersion + " " + resource.kind()));
        CustomResourceDefinitionVersion served = crd.getSpec().getVersions().stream()
                .filter(v -> v.getName().equals(version) && v.getServed()).findFirst()
                .orElseThrow(() -> new AssertionError(crd.getMetadata().getName() + " does not serve " + version));
        List<String> found = new ArrayList<>();
        JSONSchemaProps root = served.getSchema().getOpenAPIV3Schema();
        for (Map.Entry<String, Object> field : resource.raw().entrySet()) {
            if (List.of("apiVersion", "kind", "metadata").contains(field.getKey())) {
                continue;
            }
            JSONSchemaProps schema = root.getProperties() == null ? null : root.getProperties().get(field.getKey());
            if (schema == null) {
                found.add(field.getKey() + ": not in the schema");
            } else {
                check(field.getValue(), schema, field.getKey(), found);
            }
        }
        return found;
    }

    private static void check(Object value, JSONSchemaProps schema, String path, List<String> found) {
        if (value == null) {
            return;
        }
        if (Boolean.TRUE.equals(schema.getXKubernetesIntOrString())) {
            if (!(value instanceof Number || value instanceof String)) {
                found.add(path + ": not an int-or-string");
            }
            return;
        }
        if (Boolean.TRUE.equals(schema.getXKubernetesPreserveUnknownFields()) && schema.getProperties() == null) {
            return;
        }
        String type = schema.getType();
        if (type == null && schema.getAnyOf() != null && !schema.getAnyOf().isEmpty()) {
            return;
        }
        switch (type == null ? "" : type) {
            case "string" -> expect(value instanceof String, path, type, value, found);
            case "integer" -> expect(value instanceof Integer || value instanceof Long, path, type, value, found);
            case "number" -> expect(value instanceof Number, path, type, value, found);
            case "boolean" -> expect(value instanceof Boolean, path, type, value, found);
            case "array" -> {
                if (expect(value instanceof List<?>, path, type, value, found) && schema.getItems() != null) {
                    int i = 0;
                    for (Object item : (List<?>) value) {
                        check(item, schema.getItems().getSchema(), path + "[" + i++ + "]", found);
                    }
                }
            }
            case "object" -> {
                if (!expect(value instanceof Map<?, ?>, path, type, value, found)) {
                    return;
                }
                for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                    String child = path + "." + entry.getKey();
                    JSONSchemaProps declared = schema.getProperties() == null ? null
                            : schema.getProperties().get(entry.getKey().toString());
                    if (declared != null) {
                        check(entry.getValue(), declared, child, found);
                    } else if (schema.getAdditionalProperties() != null
                            && schema.getAdditionalProperties().getSchema() != null) {
                        check(entry.getValue(), schema.getAdditionalProperties().getSchema(), child, found);
                    } else if (!Boolean.TRUE.equals(schema.getXKubernetesPreserveUnknownFields())) {
                        found.add(child + ": not in the schema (the API server would prune it)");
                    }
                }
            }
            default -> {
            }
        }
    }

    private static boolean expect(boolean ok, String path, String type, Object value, List<String> found) {
        if (!ok) {
            found.add(path + ": expected " + type + " but was " + value.getClass().getSimpleName());
        }
        return ok;
    }
}
