package io.parley.helm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Produces k8s/ (the platform as plain YAML for {@code kubectl apply -k}) from the chart, so that the two never
 * disagree: k8s/base/ is the chart rendered with k8s/chart-values/base.yaml, k8s/overlays/demo/ adds what demo mode
 * adds (k8s/chart-values/demo.yaml) and patches the ConfigMap settings and the NetworkPolicy egress rules demo mode
 * changes (the in-chart PostgreSQL and the simulator as destinations). Helm-only bits are removed:
 * the helm test pod, hook and checksum annotations, the helm.sh/chart label; managed-by becomes kustomize.
 */
final class K8sManifests {

    static final String HEADER = "# Generated from helm/parley by the helm module's K8sManifestsTest; do not edit.\n"
            + "# Regenerate: mvn -B -q -pl helm verify -Dparley.k8s.write=true\n";
    static final String CONFIG = "parley-config";
    private static final Pattern SOURCE = Pattern.compile("(?m)^# Source: parley/templates/(\\S+)$");
    private static final Pattern SEPARATOR = Pattern.compile("(?m)^---\\s*$");

    private K8sManifests() {
    }

    /** A rendered document and the template file it came from. */
    record Sourced(String template, Map<String, Object> doc) {

        String id() {
            return doc.get("kind") + "/" + metadata(doc).get("name");
        }
    }

    /** Every file of k8s/ this class owns, relative to k8s/, with its content. */
    static Map<String, String> generate() {
        List<Sourced> base = clean(render("base"));
        List<Sourced> demo = clean(render("demo"));
        Map<String, String> files = new TreeMap<>();

        Map<String, List<Map<String, Object>>> baseFiles = byFile(base);
        baseFiles.put("namespace.yaml", List.of(namespace()));
        baseFiles.forEach((file, docs) -> files.put("base/" + file, yaml(docs)));
        files.put("base/kustomization.yaml", HEADER + Manifests.write(kustomization(Map.of(
                "namespace", Chart.NAMESPACE,
                "resources", new ArrayList<>(baseFiles.keySet())))));

        Map<String, Map<String, Object>> baseById = new LinkedHashMap<>();
        base.forEach(doc -> baseById.put(doc.id(), doc.doc()));
        List<Sourced> added = new ArrayList<>();
        Map<String, Object> configPatch = null;
        List<Map<String, Object>> policyPatches = new ArrayList<>();
        for (Sourced doc : demo) {
            Map<String, Object> same = baseById.get(doc.id());
            if (same == null) {
                added.add(doc);
            } else if (doc.id().equals("ConfigMap/" + CONFIG)) {
                configPatch = configPatch(same, doc.doc());
            } else if (doc.doc().get("kind").equals("NetworkPolicy") && !same.equals(doc.doc())) {
                policyPatches.add(specPatch(same, doc.doc()));
            } else if (!same.equals(doc.doc())) {
                throw new IllegalStateException(doc.id() + " differs between base and demo: only " + CONFIG
                        + " and NetworkPolicies may (an overlay patch is generated for them alone)");
            }
        }
        Map<String, List<Map<String, Object>>> demoFiles = byFile(added);
        demoFiles.forEach((file, docs) -> files.put("overlays/demo/" + file, yaml(docs)));
        List<String> resources = new ArrayList<>();
        resources.add("../../base");
        resources.addAll(demoFiles.keySet());
        Map<String, Object> demoKustomization = new LinkedHashMap<>();
        demoKustomization.put("namespace", Chart.NAMESPACE);
        demoKustomization.put("resources", resources);
        List<Map<String, Object>> patches = new ArrayList<>();
        if (configPatch != null) {
            files.put("overlays/demo/config-patch.yaml", yaml(List.of(configPatch)));
            patches.add(Map.of("path", "config-patch.yaml"));
        }
        if (!policyPatches.isEmpty()) {
            files.put("overlays/demo/networkpolicy-patch.yaml", yaml(policyPatches));
            patches.add(Map.of("path", "networkpolicy-patch.yaml"));
        }
        if (!patches.isEmpty()) {
            demoKustomization.put("patches", patches);
        }
        files.put("overlays/demo/kustomization.yaml", HEADER + Manifests.write(kustomization(demoKustomization)));
        return files;
    }

    private static String render(String name) {
        Path values = Chart.K8S.resolve("chart-values/" + name + ".yaml");
        return Chart.renderFiles(values);
    }

    /** Splits a rendering into documents that remember their template. */
    static List<Sourced> sourced(String rendered) {
        List<Sourced> docs = new ArrayList<>();
        for (String part : SEPARATOR.split(rendered)) {
            Matcher matcher = SOURCE.matcher(part);
            if (!matcher.find()) {
                continue;
            }
            String template = matcher.group(1).replace("tests/", "");
            for (Map<String, Object> doc : Manifests.split(part)) {
                docs.add(new Sourced(template, doc));
            }
        }
        return docs;
    }

    @SuppressWarnings("unchecked")
    static List<Sourced> clean(String rendered) {
        List<Sourced> result = new ArrayList<>();
        for (Sourced sourced : sourced(rendered)) {
            Map<String, Object> doc = sourced.doc();
            Map<String, Object> metadata = metadata(doc);
            Map<String, Object> annotations = (Map<String, Object>) metadata.get("annotations");
            if (annotations != null && "test".equals(annotations.get(Chart.HOOK_MARK + "hook"))) {
                continue; // helm test pod
            }
            cleanMetadata(metadata);
            metadata.remove("namespace"); // the kustomization's namespace applies
            Map<String, Object> spec = (Map<String, Object>) doc.get("spec");
            if (spec != null && spec.get("template") instanceof Map<?, ?> template
                    && template.get("metadata") instanceof Map<?, ?> podMetadata) {
                cleanMetadata((Map<String, Object>) podMetadata);
            }
            result.add(sourced);
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private static void cleanMetadata(Map<String, Object> metadata) {
        Map<String, Object> labels = (Map<String, Object>) metadata.get("labels");
        if (labels != null) {
            labels.remove("helm.sh/chart");
            if (labels.containsKey("app.kubernetes.io/managed-by")) {
                labels.put("app.kubernetes.io/managed-by", "kustomize");
            }
        }
        Map<String, Object> annotations = (Map<String, Object>) metadata.get("annotations");
        if (annotations != null) {
            annotations.keySet().removeIf(key -> key.startsWith(Chart.HOOK_MARK) || key.equals("checksum/config"));
            if (annotations.isEmpty()) {
                metadata.remove("annotations");
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> metadata(Map<String, Object> doc) {
        return (Map<String, Object>) doc.get("metadata");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> configPatch(Map<String, Object> base, Map<String, Object> demo) {
        Map<String, Object> baseData = (Map<String, Object>) base.get("data");
        Map<String, Object> demoData = (Map<String, Object>) demo.get("data");
        Map<String, Object> changed = new LinkedHashMap<>();
        demoData.forEach((key, value) -> {
            if (!Objects.equals(baseData.get(key), value)) {
                changed.put(key, value);
            }
        });
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("apiVersion", "v1");
        patch.put("kind", "ConfigMap");
        patch.put("metadata", Map.of("name", CONFIG));
        patch.put("data", changed);
        return patch;
    }

    /**
     * A strategic-merge patch turning a base NetworkPolicy into the demo's: the spec fields that differ, whole (lists
     * of a NetworkPolicy spec have no merge key, so kustomize replaces them, as the emulation does).
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> specPatch(Map<String, Object> base, Map<String, Object> demo) {
        Map<String, Object> baseSpec = (Map<String, Object>) base.get("spec");
        Map<String, Object> changed = new LinkedHashMap<>();
        ((Map<String, Object>) demo.get("spec")).forEach((key, value) -> {
            if (!Objects.equals(baseSpec.get(key), value)) {
                changed.put(key, value);
            }
        });
        if (!demo.get("spec").equals(Chart.deepMerge(baseSpec, changed))) {
            throw new IllegalStateException(base.get("kind") + "/" + metadata(base).get("name")
                    + ": the demo spec drops a field of the base, which a merge patch cannot express");
        }
        Map<String, Object> patch = new LinkedHashMap<>();
        patch.put("apiVersion", demo.get("apiVersion"));
        patch.put("kind", demo.get("kind"));
        patch.put("metadata", Map.of("name", metadata(demo).get("name")));
        patch.put("spec", changed);
        return patch;
    }

    private static Map<String, List<Map<String, Object>>> byFile(List<Sourced> docs) {
        Map<String, List<Map<String, Object>>> files = new TreeMap<>();
        for (Sourced doc : docs) {
            files.computeIfAbsent(doc.template(), file -> new ArrayList<>()).add(doc.doc());
        }
        return files;
    }

    private static Map<String, Object> kustomization(Map<String, Object> content) {
        Map<String, Object> kustomization = new LinkedHashMap<>();
        kustomization.put("apiVersion", "kustomize.config.k8s.io/v1beta1");
        kustomization.put("kind", "Kustomization");
        if (content.containsKey("namespace")) {
            kustomization.put("namespace", content.get("namespace"));
        }
        kustomization.put("resources", content.get("resources"));
        if (content.containsKey("patches")) {
            kustomization.put("patches", content.get("patches"));
        }
        return kustomization;
    }

    /** The namespace, enforcing the restricted Pod Security Standard every Parley pod meets. */
    private static Map<String, Object> namespace() {
        Map<String, Object> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/part-of", "parley");
        labels.put("pod-security.kubernetes.io/enforce", "restricted");
        labels.put("pod-security.kubernetes.io/enforce-version", "latest");
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", Chart.NAMESPACE);
        metadata.put("labels", labels);
        Map<String, Object> namespace = new LinkedHashMap<>();
        namespace.put("apiVersion", "v1");
        namespace.put("kind", "Namespace");
        namespace.put("metadata", metadata);
        return namespace;
    }

    private static String yaml(List<Map<String, Object>> docs) {
        StringBuilder out = new StringBuilder(HEADER);
        for (int i = 0; i < docs.size(); i++) {
            if (i > 0) {
                out.append("---\n");
            }
            out.append(Manifests.write(docs.get(i)));
        }
        return out.toString();
    }
}
