package io.parley.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.marcnuri.helm.LintResult;

class ChartRenderTest {

    private static final Map<String, String> RENDERED = new ConcurrentHashMap<>();

    static List<String> valueSets() {
        return Chart.VALUE_SETS;
    }

    /** Renders once per value set and keeps a copy in target/rendered/ for humans. */
    static String rendered(String valueSet) {
        return RENDERED.computeIfAbsent(valueSet, set -> {
            String yaml = Chart.render(set);
            try {
                Path out = Chart.MODULE.resolve("target/rendered/" + set + ".yaml");
                Files.createDirectories(out.getParent());
                Files.writeString(out, yaml);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return yaml;
        });
    }

    static List<Manifests.Doc> docs(String valueSet) {
        return Manifests.parse(rendered(valueSet));
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void chartLintsStrictlyWithEveryValueSet(String valueSet) {
        LintResult result = Chart.lint(valueSet);

        assertThat(result.isFailed()).as("lint --strict messages: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(message -> message.contains("[WARNING]") || message.contains("[ERROR]"));
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void everyRenderedDocumentIsAKnownKindWithNoUnknownFields(String valueSet) {
        List<Manifests.Doc> docs = docs(valueSet);

        assertThat(docs).isNotEmpty();
        for (Manifests.Doc doc : docs) {
            if (Manifests.CUSTOM_KINDS.contains(doc.kind())) {
                continue;
            }
            assertThat(Manifests.isGeneric(doc)).as("%s is a kind the fabric8 model knows", doc.id()).isFalse();
            assertThat(Manifests.unknownFields(doc.typed())).as("unknown fields of %s", doc.id()).isEmpty();
        }
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void everyContainerRunsWithTheRestrictedSecurityContext(String valueSet) {
        List<Checks.PodOf> pods = Checks.pods(docs(valueSet));

        assertThat(pods).isNotEmpty();
        pods.forEach(Checks::assertRestricted);
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void probesPointAtTheHealthEndpointsOfEachService(String valueSet) {
        List<Checks.PodOf> services = Checks.pods(docs(valueSet)).stream()
                .filter(pod -> Checks.SERVICES.containsKey(pod.component()) || "simulator".equals(pod.component()))
                .toList();

        assertThat(services).extracting(Checks.PodOf::component).contains("chat", "registry", "proxy", "usage");
        services.forEach(Checks::assertProbesOnRealEndpoints);
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void noSecretValueAppearsInAnyManifest(String valueSet) {
        List<Manifests.Doc> docs = docs(valueSet);

        assertThat(docs).extracting(Manifests.Doc::kind).doesNotContain("Secret");
        Checks.pods(docs).forEach(Checks::assertSecretsReferenced);
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void imagesAreTheParleyModulesUnderTheConfiguredRegistry(String valueSet) {
        Map<String, Object> values = Chart.deepMerge(Chart.readYamlMap(Chart.DIR.resolve("values.yaml")),
                Chart.readYamlMap(Chart.values(valueSet)));
        @SuppressWarnings("unchecked")
        String registry = (String) ((Map<String, Object>) values.get("image")).get("registry");

        for (Checks.PodOf pod : Checks.pods(docs(valueSet))) {
            String module = pod.component().equals("simulator") ? "model-simulator" : Checks.SERVICES.get(pod.component());
            if (module != null) {
                assertThat(pod.spec().getContainers().get(0).getImage()).startsWith(registry + "/parley/" + module + ":");
            }
        }
    }
}
