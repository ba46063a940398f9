package io.parley.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The house style of the chart (STYLE.md, Helm part) and its ties to the services it deploys. */
class ChartConventionsTest {

    @Test
    void everyKeyOfValuesYamlIsDocumentedOnTheLineAbove() throws IOException {
        List<String> lines = Files.readAllLines(Chart.DIR.resolve("values.yaml"));
        Pattern key = Pattern.compile("^\\s*(- )?[A-Za-z0-9_.-]+:.*$");
        List<String> undocumented = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!key.matcher(line).matches()) {
                continue;
            }
            String above = i == 0 ? "" : lines.get(i - 1).trim();
            boolean documented = above.startsWith("#") || line.trim().startsWith("- #")
                    || (above.startsWith("- #") && !line.trim().startsWith("-"));
            if (!documented) {
                undocumented.add((i + 1) + ": " + line);
            }
        }
        assertThat(undocumented).as("values.yaml keys without a comment above them").isEmpty();
    }

    /** Schema nodes that are Kubernetes objects (EnvVarSource, NetworkPolicyPeer, ...) and stay free-form. */
    private static final Set<String> FREE_FORM = Set.of("#/definitions/envVar/properties/valueFrom",
            "#/definitions/affinity/properties/nodeAffinity", "#/definitions/affinity/properties/podAffinity",
            "#/definitions/affinity/properties/podAntiAffinity", "#/properties/global",
            "#/properties/networkPolicy/properties/modelPods/properties/podSelector");

    @Test
    void valuesSchemaClosesEveryObjectItDescribes() throws IOException {
        JsonNode schema = new ObjectMapper().readTree(Chart.DIR.resolve("values.schema.json").toFile());
        List<String> open = new ArrayList<>();
        walkSchema(schema, "#", open);

        assertThat(schema.get("additionalProperties").asBoolean(true)).isFalse();
        assertThat(open).as("object schemas without additionalProperties: false").isEmpty();
    }

    private static void walkSchema(JsonNode node, String path, List<String> open) {
        if (!node.isObject()) {
            return;
        }
        boolean object = "object".equals(node.path("type").asText());
        boolean isMap = node.has("additionalProperties") && node.get("additionalProperties").isObject();
        boolean closed = node.has("additionalProperties") && node.get("additionalProperties").isBoolean()
                && !node.get("additionalProperties").asBoolean();
        boolean listItem = path.endsWith("/items"); // Kubernetes objects in lists (tolerations, peers, ...)
        if (object && !isMap && !closed && !listItem && !FREE_FORM.contains(path)) {
            open.add(path);
        }
        node.fields().forEachRemaining(field -> {
            if (field.getKey().equals("properties") || field.getKey().equals("definitions")) {
                field.getValue().fields()
                        .forEachRemaining(p -> walkSchema(p.getValue(), path + "/" + field.getKey() + "/" + p.getKey(), open));
            } else if (field.getValue().isObject()) {
                walkSchema(field.getValue(), path + "/" + field.getKey(), open);
            } else if (field.getValue().isArray()) {
                int i = 0;
                for (JsonNode item : field.getValue()) {
                    walkSchema(item, path + "/" + field.getKey() + "/" + i++, open);
                }
            }
        });
    }

    private static final Map<String, String> KIND_SUFFIX = Map.of("HorizontalPodAutoscaler", "hpa",
            "PodDisruptionBudget", "pdb");

    @Test
    void templatesAreNamedComponentDashKind() {
        String rendered = Chart.render("production") + "\n---\n" + Chart.render("demo");
        for (K8sManifests.Sourced doc : K8sManifests.sourced(rendered)) {
            String kind = (String) doc.doc().get("kind");
            String suffix = KIND_SUFFIX.getOrDefault(kind, kind.toLowerCase());
            assertThat(doc.template()).as(doc.id()).matches("[a-z]+-" + suffix + "\\.yaml");
        }
    }

    @Test
    void helpersDefineTheNamedTemplatesOfTheHouseStyle() throws IOException {
        String helpers = Files.readString(Chart.DIR.resolve("templates/_helpers.tpl"));

        for (String name : List.of("parley.fullname", "parley.labels", "parley.selectorLabels",
                "parley.serviceAccountName")) {
            assertThat(helpers).contains("{{- define \"" + name + "\" -}}");
        }
    }

    @Test
    void probedEndpointsExistInTheServicesTheChartDeploys() throws IOException {
        Path root = Chart.MODULE.getParent();
        for (String module : Checks.SERVICES.values()) {
            assertThat(Files.readString(root.resolve(module).resolve("pom.xml")))
                    .as("%s serves /q/health/* (quarkus-smallrye-health)", module).contains("quarkus-smallrye-health");
        }
        Matcher route = Pattern.compile("router\\.get\\(\"/health\"\\)").matcher(Files.readString(
                root.resolve("model-simulator/src/main/java/io/parley/simulator/rest/SimulatorRoutes.java")));
        assertThat(route.find()).as("the simulator serves GET /health").isTrue();
    }
}
