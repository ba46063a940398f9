package io.parley.helm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.type.TypeReference;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;

/** The chart under test (helm/parley) driven through helm-java: render and lint with a values file of ci/. */
final class Chart {

    static final Path MODULE = Path.of("").toAbsolutePath();
    static final Path DIR = MODULE.resolve("parley");
    static final Path CI = DIR.resolve("ci");
    static final Path K8S = MODULE.getParent().resolve("k8s");
    static final String RELEASE = "parley";
    static final String NAMESPACE = "parley";

    /** The value sets every check runs against: ci/&lt;name&gt;-values.yaml. */
    static final List<String> VALUE_SETS = List.of("default", "demo", "production");

    private Chart() {
    }

    static Path values(String name) {
        return CI.resolve(name + "-values.yaml");
    }

    /** Annotation that stands for {@code helm.sh/hook*} in {@link #render} output. */
    static final String HOOK_MARK = "test.parley.io/";

    /**
     * {@code helm template parley helm/parley -n parley -f ci/<set>-values.yaml [-f extra]...}, hooks included.
     * helm-java's template leaves hooks (the test pod, the demo custom resources) out, so the chart is rendered from
     * a copy in target/ whose {@code helm.sh/hook*} annotations are renamed {@code test.parley.io/hook*}: the hooks
     * then render as plain documents that still say they are hooks.
     */
    static String render(String valueSet, Path... extraValues) {
        return renderFiles(values(valueSet), extraValues);
    }

    /** {@code helm template} (hooks included, see {@link #render}) with values files only. */
    static String renderFiles(Path valuesFile, Path... extraValues) {
        TemplateCommand command = new Helm(hooksUnwrapped()).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withValuesFile(valuesFile);
        for (Path extra : extraValues) {
            command = command.withValuesFile(extra);
        }
        return command.call();
    }

    /** Renders with an inline values document (YAML) on top of a value set. */
    static String render(String valueSet, String extraValuesYaml) {
        Path extra = writeTemp(extraValuesYaml);
        try {
            return render(valueSet, extra);
        } finally {
            extra.toFile().delete();
        }
    }

    /**
     * {@code helm lint --strict} of the chart with a value set. helm-java's lint takes no values file, so the chart
     * is copied to target/ with its values.yaml replaced by the defaults merged with the value set.
     */
    static LintResult lint(String valueSet) {
        Path copy = MODULE.resolve("target/lint/" + valueSet + "/parley");
        copyTree(DIR, copy);
        Map<String, Object> merged = deepMerge(readYamlMap(DIR.resolve("values.yaml")), readYamlMap(values(valueSet)));
        try {
            Files.writeString(copy.resolve("values.yaml"), Manifests.write(merged));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Helm(copy).lint().strict().call();
    }

    private static Path unwrapped;

    static synchronized Path hooksUnwrapped() {
        if (unwrapped == null) {
            Path copy = MODULE.resolve("target/hooks-unwrapped/parley");
            copyTree(DIR, copy);
            try (Stream<Path> templates = Files.walk(copy.resolve("templates"))) {
                for (Path template : (Iterable<Path>) templates::iterator) {
                    if (Files.isRegularFile(template)) {
                        String text = Files.readString(template);
                        Files.writeString(template, text.replace("helm.sh/hook", HOOK_MARK + "hook"));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            unwrapped = copy;
        }
        return unwrapped;
    }

    static Map<String, Object> readYamlMap(Path file) {
        try {
            return Manifests.YAML.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, Object>>() {
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> deepMerge(Map<String, Object> base, Map<String, Object> overrides) {
        Map<String, Object> result = new LinkedHashMap<>(base);
        overrides.forEach((key, value) -> {
            Object current = result.get(key);
            if (current instanceof Map<?, ?> currentMap && value instanceof Map<?, ?> valueMap) {
                result.put(key, deepMerge((Map<String, Object>) currentMap, (Map<String, Object>) valueMap));
            } else {
                result.put(key, value);
            }
        });
        return result;
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path writeTemp(String content) {
        try {
            Path dir = MODULE.resolve("target/values");
            Files.createDirectories(dir);
            Path file = Files.createTempFile(dir, "values", ".yaml");
            Files.writeString(file, content);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces {@code to} by a copy of {@code from}. */
    static void copyTree(Path from, Path to) {
        deleteTree(to);
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
