package io.parley.registry.sambastack;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Lenient reads of one object's JSON: absent or null fields are empty, a field of the wrong type is recorded as an
 * error naming its path ({@code spec.groups: expected a list}) and read as empty, so one mistyped object is listed as
 * {@code Invalid} and never stops anything else.
 */
final class Fields {

    private final List<String> errors = new ArrayList<>();

    List<String> errors() {
        return List.copyOf(errors);
    }

    void error(String path, String expected, JsonNode got) {
        errors.add(path + ": expected " + expected + ", got " + shortly(got));
    }

    private static String shortly(JsonNode node) {
        String text = node.toString();
        return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }

    static boolean absent(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode();
    }

    static JsonNode at(JsonNode node, String field) {
        return node == null || !node.isObject() ? null : node.get(field);
    }

    Optional<String> string(JsonNode parent, String field, String path) {
        JsonNode node = at(parent, field);
        if (absent(node)) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            String value = node.asText().trim();
            return value.isEmpty() ? Optional.empty() : Optional.of(value);
        }
        error(path, "a string", node);
        return Optional.empty();
    }

    Optional<Integer> integer(JsonNode parent, String field, String path) {
        JsonNode node = at(parent, field);
        if (absent(node)) {
            return Optional.empty();
        }
        if (node.isIntegralNumber() && node.canConvertToInt()) {
            return Optional.of(node.asInt());
        }
        if (node.isTextual() && node.asText().trim().matches("\\d{1,9}")) {
            return Optional.of(Integer.parseInt(node.asText().trim()));
        }
        error(path, "an integer", node);
        return Optional.empty();
    }

    Optional<Boolean> bool(JsonNode parent, String field, String path) {
        JsonNode node = at(parent, field);
        if (absent(node)) {
            return Optional.empty();
        }
        if (node.isBoolean()) {
            return Optional.of(node.asBoolean());
        }
        if (node.isTextual() && (node.asText().equalsIgnoreCase("true") || node.asText().equalsIgnoreCase("false"))) {
            return Optional.of(Boolean.parseBoolean(node.asText()));
        }
        error(path, "true or false", node);
        return Optional.empty();
    }

    /** The elements of a list field (empty when absent). */
    List<JsonNode> list(JsonNode parent, String field, String path) {
        JsonNode node = at(parent, field);
        if (absent(node)) {
            return List.of();
        }
        if (!node.isArray()) {
            error(path, "a list", node);
            return List.of();
        }
        List<JsonNode> out = new ArrayList<>();
        node.forEach(out::add);
        return out;
    }

    /** The entries of an object field (empty when absent). */
    Map<String, JsonNode> object(JsonNode parent, String field, String path) {
        JsonNode node = at(parent, field);
        if (absent(node)) {
            return Map.of();
        }
        if (!node.isObject()) {
            error(path, "an object", node);
            return Map.of();
        }
        Map<String, JsonNode> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** A list of strings; non-string elements are errors. */
    List<String> strings(JsonNode parent, String field, String path) {
        List<String> out = new ArrayList<>();
        List<JsonNode> items = list(parent, field, path);
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            if (item.isTextual()) {
                if (!item.asText().isBlank()) {
                    out.add(item.asText().trim());
                }
            } else {
                error(path + "[" + i + "]", "a string", item);
            }
        }
        return out;
    }

    /** Whether {@code parent.field} is an object (absent counts as no). */
    boolean isObject(JsonNode parent, String field, String path) {
        JsonNode node = at(parent, field);
        if (absent(node)) {
            return false;
        }
        if (!node.isObject()) {
            error(path, "an object", node);
            return false;
        }
        return true;
    }
}
