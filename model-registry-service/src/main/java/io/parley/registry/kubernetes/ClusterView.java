package io.parley.registry.kubernetes;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.parley.registry.model.DeclaredModel;
import io.parley.registry.model.DeploymentInfo;
import io.parley.registry.model.Endpoint;
import io.parley.registry.model.ModelCapabilities;
import io.parley.registry.model.ModelState;
import io.parley.registry.model.ModelTraits;
import io.parley.registry.model.Serving;
import io.parley.registry.sambastack.Resources.Bundle;
import io.parley.registry.sambastack.Resources.Condition;
import io.parley.registry.sambastack.Resources.Deployment;
import io.parley.registry.sambastack.Resources.Generation;
import io.parley.registry.sambastack.Resources.Model;
import io.parley.registry.sambastack.Resources.ModelConfig;
import io.parley.registry.sambastack.Resources.Profile;

/**
 * The Kubernetes picture, from the parsed objects of both generations and the pods of the watched namespaces: which
 * models each deployment offers, whether it is served, and why not. Pure (the clock is an input), so it is tested and
 * measured without a cluster.
 */
public final class ClusterView {

    /** What the informer caches hold now. Keys: {@code <namespace>/<name>}. */
    public record Input(List<Deployment> deployments, Map<String, Bundle> legacyBundles,
            Map<String, Bundle> modelBundles, Map<String, Model> models, Map<String, Profile> profiles,
            Map<String, List<Pod>> podsByNamespace, Map<String, Service> services) {
    }

    public record Output(List<DeclaredModel> models, List<DeploymentInfo> deployments) {
    }

    public static final String SOURCE = "kubernetes";

    private final PodMatcher matcher;
    private final ServingEvaluator evaluator;
    private final EndpointResolver resolver;
    private final String engineType;
    private final String defaultTask;
    private final ModelTraits defaultTraits;

    public ClusterView(PodMatcher matcher, ServingEvaluator evaluator, EndpointResolver resolver, String engineType,
            String defaultTask, ModelTraits defaultTraits) {
        this.matcher = matcher;
        this.evaluator = evaluator;
        this.resolver = resolver;
        this.engineType = engineType;
        this.defaultTask = defaultTask;
        this.defaultTraits = defaultTraits;
    }

    /** What one deployment offers: its models (possibly one entry named after it that says why there are none). */
    private record Offer(Serving serving, List<DeclaredModel> models, List<String> modelNames, List<String> notes) {
    }

    public Output build(Input in, Instant now) {
        List<DeclaredModel> models = new ArrayList<>();
        List<DeploymentInfo> infos = new ArrayList<>();
        Map<String, List<Deployment>> byNamespace = in.deployments().stream()
                .collect(Collectors.groupingBy(d -> d.meta().namespace(), java.util.TreeMap::new,
                        Collectors.toList()));
        for (var entry : byNamespace.entrySet()) {
            String ns = entry.getKey();
            List<Deployment> inNs = entry.getValue().stream()
                    .sorted(Comparator.comparing((Deployment d) -> d.meta().name())
                            .thenComparing(d -> d.meta().kind()))
                    .toList();
            var matched = matcher.match(inNs, in.podsByNamespace().getOrDefault(ns, List.of()));
            for (Deployment d : inNs) {
                String name = d.meta().name();
                var pods = evaluator.evaluate(d, matched.getOrDefault(PodMatcher.key(d), List.of()), now);
                var resolution = resolver.resolve(d.meta(),
                        Optional.ofNullable(in.services().get(ns + "/" + name)));
                var resolved = resolution.resolved();
                List<Endpoint> endpoints = resolved.map(r -> List.of(r.endpoint())).orElse(List.of());
                // a refused annotation: not served, and the reason says why (EndpointResolver)
                Serving serving = resolution.refusal().map(r -> Serving.no(ModelState.INVALID, r))
                        .orElse(pods.serving());
                Offer offer = offer(d, in, serving, endpoints);
                models.addAll(offer.models());
                infos.add(new DeploymentInfo(name, Optional.of(ns), SOURCE, d.meta().kind(), d.bundle(),
                        offer.serving(), endpoints, resolved.map(EndpointResolver.Resolved::by), offer.modelNames(),
                        pods.groups(), pods.pods(), offer.notes()));
            }
        }
        return new Output(List.copyOf(models), List.copyOf(infos));
    }

    private Offer offer(Deployment d, Input in, Serving pods, List<Endpoint> endpoints) {
        String ns = d.meta().namespace();
        String name = d.meta().name();
        if (!d.errors().isEmpty()) {
            return none(d, endpoints, Serving.no(ModelState.INVALID,
                    d.meta().kind() + " " + name + ": " + String.join("; ", d.errors())));
        }
        Serving serving = withConditions(pods, d.meta().kind(), d.conditions());
        if (d.generation() == Generation.LEGACY) {
            if (d.bundle().isEmpty()) {
                return none(d, endpoints, Serving.no(ModelState.NOT_FOUND, "deployment " + name + " names no bundle"));
            }
            Bundle bundle = in.legacyBundles().get(ns + "/" + d.bundle().get());
            Optional<Serving> problem = bundleProblem(d.bundle().get(), bundle);
            if (problem.isPresent()) {
                return none(d, endpoints, problem.get());
            }
            List<DeclaredModel> out = new ArrayList<>();
            for (var m : bundle.legacyModels().stream()
                    .sorted(Comparator.comparing(io.parley.registry.sambastack.Resources.LegacyModel::servingName))
                    .toList()) {
                List<String> caps = m.vision() ? List.of("text", "vision") : ModelCapabilities.DEFAULT;
                out.add(declared(m.servingName(), d, endpoints, serving, List.of(), caps, Optional.empty(),
                        Optional.empty()));
            }
            return new Offer(serving, out, out.stream().map(DeclaredModel::name).toList(), List.of());
        }
        List<ModelConfig> configs;
        String what;
        if (d.inlineModels().isPresent()) {
            configs = d.inlineModels().get();
            what = "deployment " + name;
            if (configs.isEmpty()) {
                return none(d, endpoints, Serving.no(ModelState.NOT_FOUND, "deployment " + name + " has no models"));
            }
        } else if (d.bundle().isPresent()) {
            Bundle bundle = in.modelBundles().get(ns + "/" + d.bundle().get());
            Optional<Serving> problem = bundleProblem(d.bundle().get(), bundle);
            if (problem.isPresent()) {
                return none(d, endpoints, problem.get());
            }
            configs = bundle.modelConfigs();
            what = "bundle " + d.bundle().get();
        } else {
            return none(d, endpoints,
                    Serving.no(ModelState.NOT_FOUND, "deployment " + name + " names no bundle and no models"));
        }
        List<DeclaredModel> out = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (ModelConfig c : configs) {
            String crName = c.modelName();
            if (!c.routable()) {
                notes.add("model " + crName + " is not routable");
                continue;
            }
            Model model = in.models().get(ns + "/" + crName);
            if (model == null) {
                out.add(declared(crName, d, endpoints, Serving.no(ModelState.NOT_FOUND, "model " + crName
                        + " not found"), List.of(), ModelCapabilities.DEFAULT, Optional.empty(), Optional.empty()));
                continue;
            }
            String served = model.servingName().orElse(crName);
            if (!model.errors().isEmpty()) {
                out.add(declared(served, d, endpoints, Serving.no(ModelState.INVALID,
                        "Model " + crName + ": " + String.join("; ", model.errors())), List.of(),
                        ModelCapabilities.DEFAULT, Optional.empty(), Optional.empty()));
                continue;
            }
            List<String> caps = ModelCapabilities.normalize(model.capabilities().stream()
                    .map(cap -> cap.equalsIgnoreCase("embedding") ? "embeddings" : cap)
                    .filter(cap -> ModelCapabilities.KNOWN.contains(cap.toLowerCase(java.util.Locale.ROOT)))
                    .toList());
            Optional<Integer> context = c.contextFromBatching()
                    .or(() -> c.profile().map(p -> in.profiles().get(ns + "/" + p))
                            .flatMap(Profile::contextFromBatching));
            out.add(declared(served, d, endpoints, serving, model.aliases(), caps, model.category(), context));
        }
        if (out.isEmpty()) {
            return new Offer(Serving.no(ModelState.NOT_FOUND, what + " has no routable models: "
                    + String.join("; ", notes)), List.of(
                            entry(d, endpoints, Serving.no(ModelState.NOT_FOUND,
                                    what + " has no routable models: " + String.join("; ", notes)))),
                    List.of(),
                    List.copyOf(notes));
        }
        out.sort(Comparator.comparing(DeclaredModel::name));
        return new Offer(serving, out, out.stream().map(DeclaredModel::name).toList(), List.copyOf(notes));
    }

    /** When the pods do not serve, the deployment's own conditions that are not True explain more. */
    private static Serving withConditions(Serving pods, String kind, List<Condition> conditions) {
        if (pods.served()) {
            return pods;
        }
        List<String> notTrue = conditions.stream().filter(c -> !c.isTrue()).map(Condition::describe).toList();
        if (notTrue.isEmpty()) {
            return pods;
        }
        return Serving.no(pods.state(), pods.reason().orElse("not served") + "; " + kind + " conditions: "
                + String.join(", ", notTrue));
    }

    /** A missing, mistyped, empty or rejected bundle, or nothing wrong. */
    private static Optional<Serving> bundleProblem(String name, Bundle bundle) {
        if (bundle == null) {
            return Optional.of(Serving.no(ModelState.NOT_FOUND, "bundle " + name + " not found"));
        }
        if (!bundle.errors().isEmpty()) {
            return Optional.of(Serving.no(ModelState.INVALID,
                    bundle.meta().kind() + " " + name + ": " + String.join("; ", bundle.errors())));
        }
        List<String> why = new ArrayList<>();
        for (Condition c : bundle.conditions()) {
            boolean rejected = !c.isTrue() && c.status() != null && !"Unknown".equalsIgnoreCase(c.status());
            boolean failedReason = c.reason() != null && c.reason().matches("(?i).*(fail|invalid|error).*");
            if (rejected || failedReason) {
                why.add(c.describe());
            }
        }
        if (!bundle.legalizerErrors().isEmpty()) {
            why.add("legalizer errors: " + String.join("; ", bundle.legalizerErrors()));
        } else if (bundle.legalizerStatus().map(s -> s.matches("(?i)fail.*|error.*")).orElse(false)) {
            why.add("legalizer status " + bundle.legalizerStatus().get());
        }
        if (!why.isEmpty()) {
            return Optional.of(Serving.no(ModelState.FAILED, "bundle " + name + " is not valid: "
                    + String.join("; ", why)));
        }
        if (bundle.size() == 0) {
            return Optional.of(Serving.no(ModelState.NOT_FOUND, "bundle " + name + " has no models"));
        }
        return Optional.empty();
    }

    private Offer none(Deployment d, List<Endpoint> endpoints, Serving why) {
        return new Offer(why, List.of(entry(d, endpoints, why)), List.of(), List.of());
    }

    /** The one entry, named after the deployment, of a deployment whose models are unknown. */
    private DeclaredModel entry(Deployment d, List<Endpoint> endpoints, Serving why) {
        return declared(d.meta().name(), d, endpoints, why, List.of(), ModelCapabilities.DEFAULT, Optional.empty(),
                Optional.empty());
    }

    private DeclaredModel declared(String name, Deployment d, List<Endpoint> endpoints, Serving serving,
            List<String> aliases, List<String> capabilities, Optional<String> category, Optional<Integer> context) {
        List<String> otherNames = aliases.stream().filter(a -> !a.equals(name)).distinct().toList();
        return new DeclaredModel(name, d.meta().name(), Optional.of(d.meta().namespace()), SOURCE, engineType,
                ModelCapabilities.task(Optional.empty(), capabilities, category, defaultTask), endpoints, serving,
                defaultTraits.withFallbackMaxModelLen(context), otherNames, capabilities, category);
    }
}
