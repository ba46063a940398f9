package io.parley.helm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * Rendered Kubernetes documents: split a multi-document YAML stream, type each document with the fabric8 model and
 * find fields the model does not know.
 */
final class Manifests {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR))
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** Kinds of the custom resources Parley defines; they are checked against their CRD's schema instead. */
    static final Set<String> CUSTOM_KINDS = Set.of("Bundle", "BundleDeployment", "Model", "ModelProfile",
            "ModelBundle", "ModelDeployment");

    private Manifests() {
    }

    /** One document of a stream: its source text (as a map) and its typed fabric8 object. */
    record Doc(Map<String, Object> raw, HasMetadata typed) {

        String kind() {
            return (String) raw.get("kind");
        }

        String name() {
            return typed.getMetadata().getName();
        }

        String id() {
            return kind() + "/" + name();
        }

        @SuppressWarnings("unchecked")
        Map<String, String> annotations() {
            Map<String, Object> metadata = (Map<String, Object>) raw.get("metadata");
            Object annotations = metadata == null ? null : metadata.get("annotations");
            return annotations == null ? Map.of() : (Map<String, String>) annotations;
        }

        <T> T as(Class<T> type) {
            return type.cast(typed);
        }
    }

    /** Every non-empty document of a YAML stream, in order. */
    static List<Map<String, Object>> split(String yaml) {
        List<Map<String, Object>> docs = new ArrayList<>();
        try (YAMLParser parser = (YAMLParser) YAML.getFactory().createParser(yaml)) {
            var iterator = YAML.readValues(parser, Object.class);
            while (iterator.hasNext()) {
                if (iterator.next() instanceof Map<?, ?> doc && !doc.isEmpty()) {
                    docs.add(YAML.convertValue(doc, new TypeReference<LinkedHashMap<String, Object>>() {
                    }));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    /** Types every document with the fabric8 model (a registered kind, or a generic resource). */
    static List<Doc> parse(String yaml) {
        List<Doc> docs = new ArrayList<>();
        for (Map<String, Object> raw : split(yaml)) {
            String text = write(raw);
            HasMetadata typed = Serialization.unmarshal(text, HasMetadata.class);
            docs.add(new Doc(raw, typed));
        }
        return docs;
    }

    static List<Doc> parseFiles(Collection<Path> files) {
        StringBuilder stream = new StringBuilder();
        for (Path file : files) {
            stream.append(read(file)).append("\n---\n");
        }
        return parse(stream.toString());
    }

    static String write(Object value) {
        try {
            return YAML.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean isGeneric(Doc doc) {
        return doc.typed() instanceof GenericKubernetesResource;
    }

    /**
     * Fields no fabric8 model class declares: fabric8 keeps them in {@code additionalProperties} instead of failing,
     * so the whole object graph is walked and every non-empty {@code getAdditionalProperties()} is reported with
     * its path, e.g. {@code spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem}.
     */
    static List<String> unknownFields(Object model) {
        List<String> found = new ArrayList<>();
        walk(model, "", found, new IdentityHashMap<>());
        return found;
    }

    private static void walk(Object node, String path, List<String> found, IdentityHashMap<Object, Boolean> seen) {
        if (node == null || seen.put(node, Boolean.TRUE) != null) {
            return;
        }
        if (node instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                walk(item, path + "[" + i++ + "]", found, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> walk(value, path + "." + key, found, seen));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method method : node.getClass().getMethods()) {
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers())
                    || !method.getName().startsWith("get") || method.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = method.invoke(node);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (method.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(key -> found.add(path.isEmpty() ? key.toString() : path.substring(1) + "." + key));
                }
                continue;
            }
            String property = Character.toLowerCase(method.getName().charAt(3)) + method.getName().substring(4);
            walk(value, path + "." + property, found, seen);
        }
    }
}
