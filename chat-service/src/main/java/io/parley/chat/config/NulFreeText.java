package io.parley.chat.config;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.JsonNodeDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.module.SimpleModule;

import io.quarkus.jackson.ObjectMapperCustomizer;

/**
 * No request value may hold U+0000: PostgreSQL's text and jsonb cannot store it, so a NUL in a title, a message or a
 * turn's metadata answered 500 after part of the work was done. Every string and every JSON tree (metadata,
 * overrides, attachments) a request body binds to is checked while it is read; a NUL answers 400 {@code invalid_text}
 * naming the field (see {@code rest.ErrorMapper}), before anything is stored. Jackson decodes an overlong UTF-8
 * {@code C0 80} to U+0000 too, so that form is refused the same way.
 */
@Singleton
public class NulFreeText implements ObjectMapperCustomizer {

    /** A value holding U+0000; its path is the field it was read for. */
    public static final class NulInText extends InvalidFormatException {
        private final String inner;

        NulInText(JsonParser p, String inner) {
            super(p, "holds a NUL character (U+0000), which Parley does not accept", null, String.class);
            this.inner = inner;
        }

        /** Where inside the field's JSON value the NUL is ({@code note} of {@code metadata}), or {@code null}. */
        public String inner() {
            return inner;
        }

        /** The full path of the value: {@code metadata.note}, {@code content}, {@code params.system_prompt}. */
        public String param() {
            StringBuilder out = new StringBuilder();
            for (Reference r : getPath()) {
                if (r.getFieldName() != null) {
                    out.append(out.length() == 0 ? "" : ".").append(r.getFieldName());
                } else if (r.getIndex() >= 0) {
                    out.append('[').append(r.getIndex()).append(']');
                }
            }
            if (inner != null) {
                out.append(out.length() == 0 || inner.startsWith("[") ? "" : ".").append(inner);
            }
            return out.length() == 0 ? null : out.toString();
        }
    }

    @Override
    public void customize(ObjectMapper mapper) {
        SimpleModule module = new SimpleModule("parley-nul-free-text");
        module.addDeserializer(String.class, new Strings());
        module.addDeserializer(JsonNode.class, new Trees());
        mapper.registerModule(module);
    }

    static final class Strings extends StdDeserializer<String> {
        Strings() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String value = StringDeserializer.instance.deserialize(p, ctxt);
            if (value != null && value.indexOf('\0') >= 0) {
                throw new NulInText(p, null);
            }
            return value;
        }
    }

    static final class Trees extends StdDeserializer<JsonNode> {
        private static final JsonDeserializer<? extends JsonNode> NODES = JsonNodeDeserializer.getDeserializer(
                JsonNode.class);

        Trees() {
            super(JsonNode.class);
        }

        @Override
        public JsonNode deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode node = NODES.deserialize(p, ctxt);
            String where = firstNul(node, "");
            if (where != null) {
                throw new NulInText(p, where.isEmpty() ? null : where);
            }
            return node;
        }

        @Override
        public JsonNode getNullValue(DeserializationContext ctxt) {
            return null;
        }
    }

    /** The path inside {@code node} of the first string or field name holding U+0000 ("" for the node itself). */
    static String firstNul(JsonNode node, String path) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            return node.textValue().indexOf('\0') >= 0 ? path : null;
        }
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                String inner = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
                if (f.getKey().indexOf('\0') >= 0) {
                    return path.isEmpty() ? "a field name" : path + " (a field name)";
                }
                String found = firstNul(f.getValue(), inner);
                if (found != null) {
                    return found;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = firstNul(node.get(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }
}
