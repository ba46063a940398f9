package io.parley.registry.sambastack;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * SambaStack's custom resources (both generations, {@code sambanova.ai/v1alpha1}) read leniently from their JSON,
 * one object at a time: what a field holds when it is readable, and the errors of the fields that are not. Shapes from
 * SambaNova's public docs and the public sambanova/sambastack-tools code ({@code sambawiz/app/types/bundle.ts},
 * {@code sambawiz/app/utils/__tests__/v3-mock-data.ts}, {@code sambawiz/app/api/model-deployment/route.ts}).
 */
public final class Resources {

    private Resources() {
    }

    /** The generation of a kind. */
    public enum Generation {
        /** Bundle / BundleDeployment (deprecated by SambaStack 2.0.2). */
        LEGACY,
        /** Model / ModelProfile / ModelBundle / ModelDeployment. */
        CURRENT
    }

    public record Condition(String type, String status, String reason, String message) {

        public boolean isTrue() {
            return "True".equalsIgnoreCase(status);
        }

        /** {@code Type=Status (Reason): message}, leaving out what is empty. */
        public String describe() {
            StringBuilder b = new StringBuilder(type == null ? "condition" : type).append('=')
                    .append(status == null ? "Unknown" : status);
            if (reason != null && !reason.isBlank()) {
                b.append(" (").append(reason).append(')');
            }
            if (message != null && !message.isBlank()) {
                b.append(": ").append(message);
            }
            return b.toString();
        }
    }

    /** Common metadata of any object. */
    public record Meta(String kind, String namespace, String name, Map<String, String> annotations,
            Optional<Instant> created) {
    }

    public record Group(String name, int minReplicas) {
    }

    /**
     * A model entry of a ModelBundle ({@code spec.modelConfigs[]}) or of a ModelDeployment's inline models.
     *
     * @param ref {@code <Model metadata.name>[:<arch>][:<version>]}
     * @param contextFromBatching the largest sequence length of its own or its inline profile's batching config
     */
    public record ModelConfig(String ref, Optional<String> profile, Optional<Integer> contextFromBatching,
            boolean routable) {

        /** The Model's {@code metadata.name}: the ref up to its first colon. */
        public String modelName() {
            int colon = ref.indexOf(':');
            return colon < 0 ? ref : ref.substring(0, colon);
        }
    }

    /** A BundleDeployment or a ModelDeployment. */
    public record Deployment(Meta meta, Generation generation, Optional<String> bundle,
            Optional<List<ModelConfig>> inlineModels, List<Group> groups, Optional<Duration> startupTimeout,
            List<Condition> conditions, List<String> errors) {
    }

    /** A legacy model of a Bundle ({@code spec.models.<ServingName>}). */
    public record LegacyModel(String servingName, boolean vision) {
    }

    /** A Bundle or a ModelBundle. */
    public record Bundle(Meta meta, Generation generation, List<LegacyModel> legacyModels,
            List<ModelConfig> modelConfigs, List<Condition> conditions, Optional<String> legalizerStatus,
            List<String> legalizerErrors, List<String> errors) {

        /** How many models it names (either generation). */
        public int size() {
            return generation == Generation.LEGACY ? legacyModels.size() : modelConfigs.size();
        }
    }

    /** A Model: the serving name clients send, aliases, capabilities, category. */
    public record Model(Meta meta, Optional<String> servingName, List<String> aliases, List<String> capabilities,
            Optional<String> category, List<String> errors) {
    }

    /** A ModelProfile: the largest sequence length of its batching configs (status first). */
    public record Profile(Meta meta, Optional<Integer> contextFromBatching, List<String> errors) {
    }

    // --- parsing

    static Meta meta(JsonNode object, String kind, Fields f) {
        JsonNode metadata = Fields.at(object, "metadata");
        String name = f.string(metadata, "name", "metadata.name").orElse("");
        String namespace = f.string(metadata, "namespace", "metadata.namespace").orElse("");
        Map<String, String> annotations = new java.util.LinkedHashMap<>();
        f.object(metadata, "annotations", "metadata.annotations").forEach((k, v) -> {
            if (v.isTextual()) {
                annotations.put(k, v.asText());
            }
        });
        Optional<Instant> created = f.string(metadata, "creationTimestamp", "metadata.creationTimestamp")
                .flatMap(Resources::instant);
        return new Meta(kind, namespace, name, Map.copyOf(annotations), created);
    }

    static Optional<Instant> instant(String text) {
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    static List<Condition> conditions(JsonNode status, Fields f) {
        List<Condition> out = new ArrayList<>();
        List<JsonNode> items = f.list(status, "conditions", "status.conditions");
        for (int i = 0; i < items.size(); i++) {
            JsonNode c = items.get(i);
            String p = "status.conditions[" + i + "]";
            if (!c.isObject()) {
                f.error(p, "an object", c);
                continue;
            }
            out.add(new Condition(f.string(c, "type", p + ".type").orElse(null),
                    f.string(c, "status", p + ".status").orElse(null),
                    f.string(c, "reason", p + ".reason").orElse(null),
                    f.string(c, "message", p + ".message").orElse(null)));
        }
        return List.copyOf(out);
    }

    /** BundleDeployment or ModelDeployment. */
    public static Deployment deployment(JsonNode object, Generation generation) {
        Fields f = new Fields();
        String kind = generation == Generation.LEGACY ? "BundleDeployment" : "ModelDeployment";
        Meta meta = meta(object, kind, f);
        JsonNode spec = Fields.at(object, "spec");
        if (!Fields.absent(spec) && !spec.isObject()) {
            f.error("spec", "an object", spec);
            spec = null;
        }
        Optional<String> bundle = f.string(spec, "bundle", "spec.bundle");
        Optional<List<ModelConfig>> inline = Optional.empty();
        if (generation == Generation.CURRENT && f.isObject(spec, "models", "spec.models")) {
            inline = Optional.of(modelConfigs(Fields.at(spec, "models"), "spec.models.modelConfigs", f));
        }
        List<Group> groups = new ArrayList<>();
        List<JsonNode> items = f.list(spec, "groups", "spec.groups");
        for (int i = 0; i < items.size(); i++) {
            JsonNode g = items.get(i);
            String p = "spec.groups[" + i + "]";
            if (!g.isObject()) {
                f.error(p, "an object", g);
                continue;
            }
            Optional<String> name = f.string(g, "name", p + ".name");
            int min = f.integer(g, "minReplicas", p + ".minReplicas").orElse(1);
            name.ifPresent(n -> groups.add(new Group(n, min)));
        }
        Optional<Duration> timeout = Optional.empty();
        JsonNode engine = Fields.at(spec, "engineConfig");
        if (!Fields.absent(engine)) {
            if (!engine.isObject()) {
                f.error("spec.engineConfig", "an object", engine);
            } else {
                JsonNode t = engine.get("startupTimeout");
                if (!Fields.absent(t)) {
                    timeout = duration(t);
                    if (timeout.isEmpty()) {
                        f.error("spec.engineConfig.startupTimeout", "seconds or a duration such as 45m", t);
                    }
                }
            }
        }
        List<Condition> conditions = conditions(Fields.at(object, "status"), f);
        return new Deployment(meta, generation, bundle, inline, List.copyOf(groups), timeout, conditions, f.errors());
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(s|m|h)?");

    static Optional<Duration> duration(JsonNode node) {
        if (node.isIntegralNumber()) {
            return node.asLong() > 0 ? Optional.of(Duration.ofSeconds(node.asLong())) : Optional.empty();
        }
        if (!node.isTextual()) {
            return Optional.empty();
        }
        Matcher m = DURATION.matcher(node.asText().trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return Optional.of(switch (unit) {
            case "h" -> Duration.ofHours(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
        });
    }

    private static List<ModelConfig> modelConfigs(JsonNode parent, String path, Fields f) {
        List<ModelConfig> out = new ArrayList<>();
        List<JsonNode> items = f.list(parent, "modelConfigs", path);
        for (int i = 0; i < items.size(); i++) {
            JsonNode c = items.get(i);
            String p = path + "[" + i + "]";
            if (!c.isObject()) {
                f.error(p, "an object", c);
                continue;
            }
            Optional<String> ref = f.string(c, "model", p + ".model");
            if (ref.isEmpty()) {
                if (Fields.absent(Fields.at(c, "model"))) {
                    f.error(p + ".model", "a model reference such as name:1",
                            com.fasterxml.jackson.databind.node.NullNode.getInstance());
                }
                continue;
            }
            Optional<String> profile = f.string(c, "profile", p + ".profile");
            Optional<Integer> context = context(Fields.at(c, "batchingConfig"), p + ".batchingConfig", f);
            JsonNode definition = Fields.at(c, "profileDefinition");
            if (context.isEmpty() && !Fields.absent(definition)) {
                context = context(Fields.at(definition, "defaultBatchingConfig"),
                        p + ".profileDefinition.defaultBatchingConfig", f);
            }
            boolean routable = true;
            if (f.isObject(c, "modelSettings", p + ".modelSettings")) {
                routable = f.bool(Fields.at(c, "modelSettings"), "routable", p + ".modelSettings.routable")
                        .orElse(true);
            }
            out.add(new ModelConfig(ref.get(), profile, context, routable));
        }
        return List.copyOf(out);
    }

    private static final Pattern TIER = Pattern.compile("(\\d+)(k?)");

    /**
     * The largest sequence length among the keys of a batching config ({@code 8k} = 8192, {@code 448} = 448; other keys
     * such as {@code 10t} are not sequence lengths).
     */
    static Optional<Integer> context(JsonNode batching, String path, Fields f) {
        if (Fields.absent(batching)) {
            return Optional.empty();
        }
        if (!batching.isObject()) {
            f.error(path, "an object", batching);
            return Optional.empty();
        }
        int max = 0;
        var names = batching.fieldNames();
        while (names.hasNext()) {
            Matcher m = TIER.matcher(names.next().trim().toLowerCase(Locale.ROOT));
            if (m.matches() && m.group(1).length() < 7) {
                int n = Integer.parseInt(m.group(1)) * (m.group(2).isEmpty() ? 1 : 1024);
                max = Math.max(max, n);
            }
        }
        return max > 0 ? Optional.of(max) : Optional.empty();
    }

    /** Bundle or ModelBundle. */
    public static Bundle bundle(JsonNode object, Generation generation) {
        Fields f = new Fields();
        Meta meta = meta(object, generation == Generation.LEGACY ? "Bundle" : "ModelBundle", f);
        JsonNode spec = Fields.at(object, "spec");
        if (!Fields.absent(spec) && !spec.isObject()) {
            f.error("spec", "an object", spec);
            spec = null;
        }
        List<LegacyModel> legacy = new ArrayList<>();
        List<ModelConfig> configs = List.of();
        if (generation == Generation.LEGACY) {
            f.object(spec, "models", "spec.models").forEach((name, model) -> {
                if (!model.isObject()) {
                    f.error("spec.models." + name, "an object", model);
                    return;
                }
                boolean vision = f.string(model, "vision_embedding_checkpoint",
                        "spec.models." + name + ".vision_embedding_checkpoint").isPresent();
                legacy.add(new LegacyModel(name, vision));
            });
        } else {
            configs = modelConfigs(spec, "spec.modelConfigs", f);
        }
        JsonNode status = Fields.at(object, "status");
        List<Condition> conditions = conditions(status, f);
        Optional<String> legalizerStatus = Optional.empty();
        List<String> legalizerErrors = List.of();
        if (f.isObject(status, "legalizerInfo", "status.legalizerInfo")) {
            JsonNode info = Fields.at(status, "legalizerInfo");
            legalizerStatus = f.string(info, "status", "status.legalizerInfo.status");
            legalizerErrors = f.strings(info, "errors", "status.legalizerInfo.errors");
        }
        return new Bundle(meta, generation, List.copyOf(legacy), configs, conditions, legalizerStatus,
                legalizerErrors, f.errors());
    }

    public static Model model(JsonNode object) {
        Fields f = new Fields();
        Meta meta = meta(object, "Model", f);
        JsonNode spec = Fields.at(object, "spec");
        Optional<String> name = f.string(spec, "name", "spec.name");
        List<String> aliases = f.strings(spec, "aliases", "spec.aliases");
        List<String> capabilities = List.of();
        Optional<String> category = Optional.empty();
        if (f.isObject(spec, "metadata", "spec.metadata")) {
            JsonNode m = Fields.at(spec, "metadata");
            capabilities = f.strings(m, "capabilities", "spec.metadata.capabilities");
            category = f.string(m, "category", "spec.metadata.category");
        }
        return new Model(meta, name, aliases, capabilities, category, f.errors());
    }

    public static Profile profile(JsonNode object) {
        Fields f = new Fields();
        Meta meta = meta(object, "ModelProfile", f);
        Optional<Integer> context = context(Fields.at(Fields.at(object, "status"), "batchingConfig"),
                "status.batchingConfig", f)
                .or(() -> context(Fields.at(Fields.at(object, "spec"), "defaultBatchingConfig"),
                        "spec.defaultBatchingConfig", f));
        return new Profile(meta, context, f.errors());
    }
}
