package io.parley.helm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of {@code kustomize build} that k8s/ uses, for tests on a machine with no kustomize binary: a
 * kustomization lists {@code resources} (YAML files, or directories holding a kustomization), may set a
 * {@code namespace} and may list {@code patches} by {@code path}. A patch names its target by apiVersion, kind and
 * metadata.name and is merged into it map by map (lists are replaced), which is what a strategic-merge patch does
 * for the ConfigMap data the demo overlay changes. Any other kustomization field fails the build here, so k8s/
 * cannot silently start using a feature this emulation does not apply.
 */
final class Kustomize {

    private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "namespace", "resources", "patches");
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "CustomResourceDefinition", "ClusterRole",
            "ClusterRoleBinding", "PersistentVolume", "StorageClass", "PriorityClass");

    private Kustomize() {
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> build(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + " has no kustomization.yaml");
        }
        Map<String, Object> kustomization = Chart.readYamlMap(file);
        for (String key : kustomization.keySet()) {
            if (!SUPPORTED.contains(key)) {
                throw new IllegalArgumentException(file + ": field '" + key + "' is not applied by this emulation");
            }
        }
        List<Map<String, Object>> docs = new ArrayList<>();
        for (String resource : (List<String>) kustomization.getOrDefault("resources", List.of())) {
            Path path = dir.resolve(resource).normalize();
            if (Files.isDirectory(path)) {
                docs.addAll(build(path));
            } else {
                if (!path.startsWith(dir)) {
                    throw new IllegalArgumentException(file + ": " + resource + " is outside the kustomization root");
                }
                docs.addAll(Manifests.split(Manifests.read(path)));
            }
        }
        for (Map<String, Object> patch : (List<Map<String, Object>>) kustomization.getOrDefault("patches", List.of())) {
            if (!Set.of("path").containsAll(patch.keySet())) {
                throw new IllegalArgumentException(file + ": only patches by path are applied: " + patch);
            }
            for (Map<String, Object> patchDoc : Manifests.split(Manifests.read(dir.resolve((String) patch.get("path"))))) {
                applyPatch(docs, patchDoc);
            }
        }
        String namespace = (String) kustomization.get("namespace");
        if (namespace != null) {
            for (Map<String, Object> doc : docs) {
                setNamespace(doc, namespace);
            }
        }
        return docs;
    }

    private static void applyPatch(List<Map<String, Object>> docs, Map<String, Object> patch) {
        String kind = (String) patch.get("kind");
        String name = (String) K8sManifests.metadata(patch).get("name");
        for (int i = 0; i < docs.size(); i++) {
            Map<String, Object> doc = docs.get(i);
            if (kind.equals(doc.get("kind")) && name.equals(K8sManifests.metadata(doc).get("name"))
                    && patch.get("apiVersion").equals(doc.get("apiVersion"))) {
                docs.set(i, Chart.deepMerge(doc, patch));
                return;
            }
        }
        throw new IllegalArgumentException("patch target " + kind + "/" + name + " not found");
    }

    @SuppressWarnings("unchecked")
    private static void setNamespace(Map<String, Object> doc, String namespace) {
        String kind = (String) doc.get("kind");
        if (kind.equals("Namespace")) {
            K8sManifests.metadata(doc).put("name", namespace);
            return;
        }
        if (!CLUSTER_SCOPED.contains(kind)) {
            K8sManifests.metadata(doc).put("namespace", namespace);
        }
        if (kind.equals("RoleBinding") || kind.equals("ClusterRoleBinding")) {
            for (Map<String, Object> subject : (List<Map<String, Object>>) doc.getOrDefault("subjects", List.of())) {
                if ("ServiceAccount".equals(subject.get("kind"))) {
                    subject.put("namespace", namespace);
                }
            }
        }
    }
}
