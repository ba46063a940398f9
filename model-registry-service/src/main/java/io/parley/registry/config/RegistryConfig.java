package io.parley.registry.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** All of the registry's configuration, under {@code parley.registry}. */
@ConfigMapping(prefix = "parley.registry")
public interface RegistryConfig {

    /** Which sources feed the view: {@code static}, {@code kubernetes}, or both ({@code kubernetes,static}). */
    @WithDefault("static")
    List<SourceKind> source();

    Health health();

    Defaults defaults();

    @WithName("static")
    StaticSource staticSource();

    /** The change stream ({@code GET /v1/models/changes}). */
    Changes changes();

    /**
     * Roles whose callers see upstream URLs and credential references in {@code /v1/models}, its change stream and
     * {@code /v1/deployments}: admins, and {@code usage-writer}, the role of the proxy's service account (it routes
     * the calls). Everyone else sees the models without them, and URLs in reasons replaced.
     */
    @WithDefault("admin,usage-writer")
    List<String> internalRoles();

    Kubernetes kubernetes();

    enum SourceKind {
        STATIC,
        KUBERNETES
    }

    interface Health {
        /** How often every upstream endpoint is probed ({@code HEALTH_POLL_SEC}). */
        @WithDefault("15s")
        Duration poll();

        /** How long a successful probe counts ({@code HEALTH_CHECK_TTL_SEC}); must exceed {@link #poll()}. */
        @WithDefault("20s")
        Duration ttl();

        /** Upper bound of one probe (both requests together) against one endpoint. */
        @WithDefault("3s")
        Duration timeout();

        /** When the upstream answers {@code /v1/models}, a model it does not list is not running. */
        @WithDefault("true")
        boolean requireListedModel();
    }

    interface Defaults {
        /** The task of a model nobody configured one for. */
        @WithDefault("chat")
        String task();

        /** Upper bound of the derived {@code max_tokens_default} (min(cap, max_model_len / 2)). */
        @WithDefault("4096")
        int maxTokensCap();

        @WithDefault("0.7")
        double temperature();

        @WithDefault("1.0")
        double topP();
    }

    interface StaticSource {
        /** Named OpenAI-compatible endpoints registered without any custom resource. */
        Map<String, StaticEndpoint> endpoints();
    }

    interface StaticEndpoint {
        /** Base URL without {@code /v1}, e.g. {@code http://127.0.0.1:8090}. */
        String url();

        /** vllm, tgi, sambanova, openai, ... */
        @WithDefault("openai")
        String engineType();

        /**
         * Where the server side finds the upstream API key: {@code env:VAR} (an environment variable or config
         * property). Never the key itself.
         */
        Optional<String> credentialRef();

        /** The model names this endpoint serves. */
        List<String> models();

        /** Optional per-model settings, keyed by model name (quote names that contain dots). */
        @WithName("model")
        Map<String, ModelSettings> modelSettings();
    }

    interface ModelSettings {
        Optional<Integer> maxModelLen();

        Optional<Integer> contextSize();

        /** {@code chat}, {@code completion} (only {@code /v1/completions}) or {@code embedding}. */
        Optional<String> task();

        /** Other names the upstream accepts for the model. */
        Optional<List<String>> aliases();

        /** Among {@code text}, {@code vision}, {@code audio}, {@code embeddings}; default {@code text}. */
        Optional<List<String>> capabilities();

        /** Free-form category such as {@code chat} or {@code embedding}. */
        Optional<String> category();

        Optional<Integer> maxTokensDefault();

        Optional<Double> temperature();

        Optional<Double> topP();

        Optional<Boolean> supportsStreaming();

        Optional<Boolean> supportsSystemPrompt();
    }

    interface Changes {
        /** Interval of SSE keep-alive comments on idle change streams. */
        @WithDefault("15s")
        Duration keepAlive();

        /**
         * Events a follower may fall behind (queued while its connection does not take them) before its queue is
         * replaced by one snapshot of the current view.
         */
        @WithDefault("64")
        int maxBacklog();
    }

    interface Kubernetes {
        /**
         * Namespaces whose BundleDeployments, Bundles, Pods and Services are watched: one or several names, or
         * {@code *} for all. Absent: the namespace of the Kubernetes client (in-cluster: the pod's own).
         */
        Optional<List<String>> namespaces();

        /**
         * SambaStack kinds watched, both generations by default: {@code BundleDeployment}, {@code Bundle} (legacy) and
         * {@code ModelDeployment}, {@code ModelBundle}, {@code Model}, {@code ModelProfile} (current). A kind whose CRD
         * is not installed is reported and does not hold readiness back.
         */
        @WithDefault("BundleDeployment,Bundle,ModelDeployment,ModelBundle,Model,ModelProfile")
        List<String> kinds();

        /** Equality label selectors ({@code k=v,k2=v2}, or {@code k} for "has label") per watched kind. */
        Optional<String> bundleDeploymentSelector();

        Optional<String> bundleSelector();

        Optional<String> modelDeploymentSelector();

        Optional<String> modelBundleSelector();

        Optional<String> modelSelector();

        Optional<String> modelProfileSelector();

        Optional<String> podSelector();

        Optional<String> serviceSelector();

        /** Informer resync period (0 disables resync). */
        @WithDefault("10m")
        Duration resync();

        /**
         * A watch that has not been re-established for this long turns readiness DOWN and marks the view
         * {@code stale}; when it is back the kind is listed again from scratch.
         */
        @WithDefault("60s")
        Duration staleAfter();

        /** How often the watches are checked. */
        @WithDefault("1s")
        Duration watchCheck();

        /** The start-up timeout of a deployment without {@code engineConfig.startupTimeout} (SambaStack: 45 min). */
        @WithDefault("45m")
        Duration defaultStartupTimeout();

        /** The engine type models of BundleDeployments are listed with. */
        @WithDefault("sambanova")
        String engineType();

        Matching matching();

        Endpoints endpoints();
    }

    /** How pods are matched to a BundleDeployment, in this order; each rule can be switched off. */
    interface Matching {
        /** Pod label keys whose value names the BundleDeployment (first rule). Empty list disables the rule. */
        @WithDefault("sambanova.ai/bundle-deployment")
        List<String> podLabels();

        /** Second rule: a pod owner reference of kind BundleDeployment with the deployment's name. */
        @WithDefault("true")
        boolean ownerReference();

        /** Last rule: the pod name starts with {@code <deployment>-} (the longest matching deployment wins). */
        @WithDefault("true")
        boolean namePrefix();

        /** Pod label naming its group; without it the group is read from the name {@code <deployment>-<group>-...}. */
        @WithDefault("sambanova.ai/group")
        String groupLabel();

        /** The group assumed when a BundleDeployment lists none. */
        @WithDefault("default")
        String defaultGroup();
    }

    /** How a BundleDeployment's upstream URL is found, in this order. */
    interface Endpoints {
        /**
         * First: this annotation on the BundleDeployment holds the base URL; honoured only in
         * {@link #annotationNamespaces()} and when it matches one of {@link #annotationUrls()}.
         */
        @WithDefault("parley.io/endpoint")
        String annotation();

        /**
         * Namespaces whose deployments may set the endpoint annotation ({@code *}: all watched). Absent: none, and an
         * annotated deployment is not served, with the reason.
         */
        Optional<List<String>> annotationNamespaces();

        /**
         * URL patterns an annotated endpoint must match: {@code *} matches within one part of the URL (no
         * {@code /}, {@code @}, {@code ?} or {@code #}), {@code {namespace}} stands for the deployment's namespace.
         * Default: a Service of the deployment's own namespace.
         */
        @WithDefault("http://*.{namespace}.svc:*,http://*.{namespace}.svc.cluster.local:*")
        List<String> annotationUrls();

        /**
         * Annotation on the BundleDeployment with a credential reference for its upstream: {@code secret:NAME/KEY} (a
         * Secret of the deployment's namespace) or {@code env:NAME} (only names in
         * {@code parley.credentials.allowed-env}).
         */
        @WithDefault("parley.io/credential-ref")
        String credentialAnnotation();

        /** Second: a Service with the deployment's name (URL {@code http://<name>.<ns>.svc:<port>}). */
        @WithDefault("true")
        boolean service();

        /** The Service port name preferred when a Service has several ports. */
        @WithDefault("http")
        String servicePortName();

        /** Last: the gateway base URL of the namespace ({@code gateways.<namespace>=url}; key {@code *} for any). */
        Map<String, String> gateways();
    }
}
