package io.parley.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import com.marcnuri.helm.Helm;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;

/** What the chart renders for particular settings. */
class ChartBehaviourTest {

    static List<Manifests.Doc> docs(String valueSet) {
        return ChartRenderTest.docs(valueSet);
    }

    static <T> List<T> ofType(List<Manifests.Doc> docs, Class<T> type) {
        return docs.stream().filter(doc -> type.isInstance(doc.typed())).map(doc -> doc.as(type)).toList();
    }

    static Manifests.Doc find(List<Manifests.Doc> docs, String kind, String name) {
        return docs.stream().filter(doc -> doc.kind().equals(kind) && doc.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(kind + "/" + name + " not rendered"));
    }

    @Test
    void registryRoleGrantsOnlyGetListWatchOnPodsBundlesAndBundleDeploymentsInTheReleaseNamespace() {
        List<Manifests.Doc> docs = docs("default");

        List<Role> roles = ofType(docs, Role.class);
        assertThat(roles).singleElement().satisfies(role -> {
            assertThat(role.getMetadata().getNamespace()).isEqualTo(Chart.NAMESPACE);
            Checks.assertRegistryRules(role.getRules());
        });
        assertThat(ofType(docs, RoleBinding.class)).singleElement().satisfies(binding -> {
            assertThat(binding.getRoleRef().getName()).isEqualTo(roles.get(0).getMetadata().getName());
            assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
                assertThat(subject.getKind()).isEqualTo("ServiceAccount");
                assertThat(subject.getName()).isEqualTo("parley-registry");
            });
        });
        assertThat(ofType(docs, ClusterRole.class)).isEmpty();
        assertThat(ofType(docs, ClusterRoleBinding.class)).isEmpty();
    }

    @Test
    void registryGetsOneRolePerWatchedNamespace() {
        List<Manifests.Doc> docs = docs("production");
        List<Role> registryRoles = ofType(docs, Role.class).stream()
                .filter(role -> role.getMetadata().getName().equals("parley-registry")).toList();

        assertThat(registryRoles).extracting(role -> role.getMetadata().getNamespace())
                .containsExactlyInAnyOrder("sambastack", "team-a");
        registryRoles.forEach(role -> Checks.assertRegistryRules(role.getRules()));
        assertThat(ofType(docs, RoleBinding.class)).filteredOn(b -> b.getMetadata().getName().equals("parley-registry"))
                .extracting(binding -> binding.getMetadata().getNamespace())
                .containsExactlyInAnyOrder("sambastack", "team-a");
        assertThat(ofType(docs, ClusterRole.class)).isEmpty();
        assertThat(Checks.resolvedEnv(registry(docs), docs)).containsEntry("PARLEY_REGISTRY_NAMESPACES", "sambastack,team-a");
    }

    @Test
    void watchingAllNamespacesUsesAClusterRoleWithTheSameRulesAndNoRole() {
        List<Manifests.Doc> docs = Manifests.parse(Chart.render("default", "registry:\n  watchNamespaces: [\"*\"]\n"));

        assertThat(ofType(docs, Role.class)).isEmpty();
        assertThat(ofType(docs, RoleBinding.class)).isEmpty();
        assertThat(ofType(docs, ClusterRole.class)).singleElement()
                .satisfies(role -> Checks.assertRegistryRules(role.getRules()));
        assertThat(ofType(docs, ClusterRoleBinding.class)).singleElement().satisfies(binding -> assertThat(
                binding.getSubjects()).singleElement().satisfies(s -> assertThat(s.getNamespace()).isEqualTo("parley")));
        assertThat(Checks.resolvedEnv(registry(docs), docs)).containsEntry("PARLEY_REGISTRY_NAMESPACES", "*");
    }

    @Test
    void onlyTheRegistryMountsAnApiToken() {
        for (Checks.PodOf pod : Checks.pods(docs("demo"))) {
            boolean registry = "registry".equals(pod.component());
            assertThat(pod.spec().getAutomountServiceAccountToken()).as(pod.owner().id()).isEqualTo(registry);
            assertThat(pod.spec().getServiceAccountName()).as(pod.owner().id())
                    .isEqualTo(registry ? "parley-registry" : "parley");
        }
    }

    /**
     * Issue 15: a secret:NAME/KEY credential reference is resolved by the registry (its probes) and by the proxy (its
     * calls), each with its own service account: both get exactly {@code get} on Secrets in each watched namespace,
     * never list or watch, and the proxy then mounts its API token and may reach the API server.
     */
    @Test
    void theRegistryAndTheProxyMayGetSecretsInEachWatchedNamespaceAndNothingMore() {
        List<Manifests.Doc> docs = docs("production"); // watches sambastack and team-a, released into parley

        List<Role> secretRoles = ofType(docs, Role.class).stream()
                .filter(role -> role.getRules().stream().anyMatch(rule -> rule.getResources().contains("secrets")))
                .toList();
        assertThat(secretRoles).extracting(role -> role.getMetadata().getNamespace())
                .containsExactlyInAnyOrder("sambastack", "team-a");
        secretRoles.forEach(role -> assertThat(role.getRules()).singleElement().satisfies(rule -> {
            assertThat(rule.getApiGroups()).containsExactly("");
            assertThat(rule.getResources()).containsExactly("secrets");
            assertThat(rule.getVerbs()).containsExactly("get");
            assertThat(rule.getResourceNames()).isNullOrEmpty();
        }));
        for (String namespace : List.of("sambastack", "team-a")) {
            RoleBinding binding = ofType(docs, RoleBinding.class).stream()
                    .filter(b -> b.getMetadata().getNamespace().equals(namespace)
                            && b.getRoleRef().getName().equals(secretRoles.get(0).getMetadata().getName()))
                    .findFirst().orElseThrow(() -> new AssertionError("no RoleBinding of the Secret role in " + namespace));
            assertThat(binding.getSubjects()).extracting(s -> s.getKind() + " " + s.getNamespace() + "/" + s.getName())
                    .containsExactlyInAnyOrder("ServiceAccount parley/parley-registry", "ServiceAccount parley/parley-proxy");
        }
        Checks.PodOf proxy = pod(docs, "proxy");
        assertThat(proxy.spec().getServiceAccountName()).isEqualTo("parley-proxy");
        assertThat(proxy.spec().getAutomountServiceAccountToken()).isTrue();
        find(docs, "ServiceAccount", "parley-proxy");
        assertThat(Checks.egressOf(ofType(docs, NetworkPolicy.class), "proxy")).contains("ip:10.0.0.1/32 6443/TCP");
        // the other pods still run without a token
        assertThat(pod(docs, "chat").spec().getAutomountServiceAccountToken()).isFalse();
        assertThat(pod(docs, "usage").spec().getAutomountServiceAccountToken()).isFalse();
    }

    @Test
    void theReleaseNamespaceAndEveryNamespaceGetOnlyTheListedSecretNames() {
        // the release namespace holds Parley's own Secrets (database, OIDC): nothing unless names are listed
        List<Manifests.Doc> defaults = docs("default");
        assertThat(ofType(defaults, Role.class)).singleElement()
                .satisfies(role -> assertThat(role.getMetadata().getName()).isEqualTo("parley-registry"));
        assertThat(pod(defaults, "proxy").spec().getAutomountServiceAccountToken()).isFalse();
        assertThat(pod(defaults, "proxy").spec().getServiceAccountName()).isEqualTo("parley");

        List<Manifests.Doc> named = Manifests.parse(Chart.render("default",
                "credentials:\n  secrets:\n    names: [llama-key]\n"));
        assertThat(ofType(named, Role.class)).filteredOn(role -> role.getMetadata().getName().equals("parley-credentials"))
                .singleElement().satisfies(role -> {
                    assertThat(role.getMetadata().getNamespace()).isEqualTo(Chart.NAMESPACE);
                    assertThat(role.getRules()).singleElement().satisfies(rule -> {
                        assertThat(rule.getResourceNames()).containsExactly("llama-key");
                        assertThat(rule.getVerbs()).containsExactly("get");
                    });
                });
        assertThat(pod(named, "proxy").spec().getAutomountServiceAccountToken()).isTrue();

        // every namespace watched: cluster-wide only for listed names, never every Secret of the cluster
        List<Manifests.Doc> all = Manifests.parse(Chart.render("default", "registry:\n  watchNamespaces: [\"*\"]\n"));
        assertThat(ofType(all, ClusterRole.class)).noneMatch(role -> role.getRules().stream()
                .anyMatch(rule -> rule.getResources().contains("secrets")));
        List<Manifests.Doc> allNamed = Manifests.parse(Chart.render("default",
                "registry:\n  watchNamespaces: [\"*\"]\ncredentials:\n  secrets:\n    names: [llama-key]\n"));
        assertThat(ofType(allNamed, ClusterRole.class)).filteredOn(role -> role.getRules().stream()
                .anyMatch(rule -> rule.getResources().contains("secrets"))).singleElement()
                .satisfies(role -> assertThat(role.getRules().get(0).getResourceNames()).containsExactly("llama-key"));
        assertThat(ofType(allNamed, ClusterRoleBinding.class)).hasSize(2);

        // turned off: no grant, no token for the proxy
        List<Manifests.Doc> off = Manifests.parse(Chart.render("production", "credentials:\n  secrets:\n    read: false\n"));
        assertThat(ofType(off, Role.class)).noneMatch(role -> role.getRules().stream()
                .anyMatch(rule -> rule.getResources().contains("secrets")));
        assertThat(pod(off, "proxy").spec().getAutomountServiceAccountToken()).isFalse();
    }

    static Checks.PodOf registry(List<Manifests.Doc> docs) {
        return Checks.pods(docs).stream().filter(pod -> "registry".equals(pod.component())).findFirst().orElseThrow();
    }

    @Test
    void crdsAreInstalledWithTheKeepPolicyAndCanBeLeftOut() {
        List<CustomResourceDefinition> crds = ofType(docs("default"), CustomResourceDefinition.class);
        assertThat(crds).extracting(crd -> crd.getMetadata().getName())
                .containsExactlyInAnyOrder("bundles.sambanova.ai", "bundledeployments.sambanova.ai");
        assertThat(crds).allSatisfy(crd -> assertThat(crd.getMetadata().getAnnotations())
                .containsEntry("helm.sh/resource-policy", "keep"));

        assertThat(ofType(docs("production"), CustomResourceDefinition.class)).as("crds.install=false").isEmpty();

        List<CustomResourceDefinition> notKept = ofType(
                Manifests.parse(Chart.render("default", "crds:\n  keep: false\n")), CustomResourceDefinition.class);
        assertThat(notKept).hasSize(2).allSatisfy(crd -> assertThat(crd.getMetadata().getAnnotations())
                .doesNotContainKey("helm.sh/resource-policy"));

    }

    /**
     * The current generation's CRDs (Model, ModelProfile, ModelBundle, ModelDeployment) are SambaStack 2.x's own: the
     * chart renders them only when asked (crds.installCurrent), so an install next to SambaStack never takes them over.
     */
    @Test
    void currentGenerationCrdsAreRenderedOnlyWhenAskedForAndKept() {
        List<String> current = List.of("models.sambanova.ai", "modelprofiles.sambanova.ai",
                "modelbundles.sambanova.ai", "modeldeployments.sambanova.ai");
        assertThat(ofType(docs("default"), CustomResourceDefinition.class))
                .extracting(crd -> crd.getMetadata().getName()).doesNotContainAnyElementsOf(current);

        List<CustomResourceDefinition> both = ofType(
                Manifests.parse(Chart.render("default", "crds:\n  installCurrent: true\n")),
                CustomResourceDefinition.class);
        assertThat(both).extracting(crd -> crd.getMetadata().getName()).containsExactlyInAnyOrderElementsOf(
                java.util.stream.Stream.concat(current.stream(),
                        java.util.stream.Stream.of("bundles.sambanova.ai", "bundledeployments.sambanova.ai")).toList());
        assertThat(both).allSatisfy(crd -> assertThat(crd.getMetadata().getAnnotations())
                .containsEntry("helm.sh/resource-policy", "keep"));

        List<CustomResourceDefinition> onlyCurrent = ofType(Manifests.parse(Chart.render("default",
                "crds:\n  install: false\n  installCurrent: true\n")), CustomResourceDefinition.class);
        assertThat(onlyCurrent).extracting(crd -> crd.getMetadata().getName())
                .containsExactlyInAnyOrderElementsOf(current);
    }

    @Test
    void schemaRejectsAMisspelledValue() {
        assertThatThrownBy(() -> Chart.render("default", "registry:\n  watchNamspaces: [team-a]\n"))
                .hasMessageContaining("watchNamspaces");
        assertThatThrownBy(() -> Chart.render("default", "demo:\n  enabeld: true\n")).hasMessageContaining("enabeld");
        assertThatThrownBy(() -> Chart.render("default", "proxy:\n  autoscaling:\n    maxReplica: 3\n"))
                .hasMessageContaining("maxReplica");
    }

    @Test
    void schemaRefusesInlinedSecretsAndWrongTypes() {
        assertThatThrownBy(() -> Chart.render("default", "database:\n  password: hunter2\n"))
                .hasMessageContaining("password");
        assertThatThrownBy(() -> Chart.render("default", "oidc:\n  clientSecret: s3cr3t\n"))
                .hasMessageContaining("clientSecret");
        assertThatThrownBy(() -> Chart.render("default", "chat:\n  replicaCount: two\n"))
                .hasMessageContaining("replicaCount");
        assertThatThrownBy(() -> Chart.render("default", "registry:\n  source: etcd\n")).hasMessageContaining("source");
    }

    @Test
    void missingOidcUrlOrDatabaseSecretFailsWithAClearMessage() {
        assertThatThrownBy(() -> Chart.render("default", "oidc:\n  authServerUrl: \"\"\n"))
                .hasMessageContaining("oidc.authServerUrl is required");
        assertThatThrownBy(() -> Chart.render("default", "database:\n  existingSecret: \"\"\n"))
                .hasMessageContaining("database.existingSecret is required");
    }

    @Test
    void serviceWiringUsesTheInClusterServiceUrlsAndTheNamedSecrets() {
        List<Manifests.Doc> docs = docs("production");
        Map<String, String> proxy = Checks.resolvedEnv(pod(docs, "proxy"), docs);
        Map<String, String> chat = Checks.resolvedEnv(pod(docs, "chat"), docs);

        assertThat(proxy).containsEntry("PARLEY_REGISTRY_URL", "http://parley-registry:8080")
                .containsEntry("PARLEY_USAGE_URL", "http://parley-usage:8080")
                .containsEntry("PARLEY_OIDC_URL", "https://sso.example.com/realms/parley")
                .containsEntry("PARLEY_DB_URL",
                        "jdbc:postgresql://parley-pg-rw.databases.svc:5432/parley_proxy?sslmode=require")
                .containsEntry("PARLEY_PROXY_CLIENT_SECRET", "secret:parley-oidc-clients/proxy-client-secret")
                .containsEntry("PARLEY_DB_USER", "secret:parley-pg-app/username")
                .containsEntry("PARLEY_DB_PASSWORD", "secret:parley-pg-app/password");
        assertThat(chat).containsEntry("PARLEY_PROXY_URL", "http://parley-proxy:8080")
                .containsEntry("PARLEY_REGISTRY_URL", "http://parley-registry:8080")
                .containsEntry("PARLEY_DB_URL", "jdbc:postgresql://parley-pg-rw.databases.svc:5432/parley_chat?sslmode=require")
                .containsEntry("PARLEY_WEB_CLIENT_SECRET", "secret:parley-oidc-clients/web-client-secret")
                .as("the code flow redirects to the Ingress host").containsEntry("QUARKUS_HTTP_PROXY_ALLOW_X_FORWARDED", "true")
                .containsEntry("QUARKUS_HTTP_PROXY_ENABLE_FORWARDED_HOST", "true");
        assertThat(Checks.resolvedEnv(pod(docs, "usage"), docs)).containsEntry("PARLEY_DB_URL",
                "jdbc:postgresql://parley-pg-rw.databases.svc:5432/parley_usage?sslmode=require");
        assertThat(Checks.resolvedEnv(registry(docs), docs)).containsEntry("PARLEY_REGISTRY_SOURCE", "kubernetes,static")
                .containsEntry("TEAM_VLLM_API_KEY", "secret:team-vllm/api-key");
        assertThat(Checks.resolvedEnv(registry(docs("default")), docs("default")))
                .containsEntry("PARLEY_REGISTRY_SOURCE", "kubernetes").doesNotContainKey("QUARKUS_CONFIG_LOCATIONS");
        assertThat(Checks.resolvedEnv(pod(docs("default"), "chat"), docs("default")))
                .containsEntry("PARLEY_DB_URL", "jdbc:postgresql://postgresql.databases.svc:5432/parley_chat");
        assertThat(Checks.pods(docs)).filteredOn(pod -> Checks.SERVICES.containsKey(pod.component()))
                .hasSize(4).allSatisfy(pod -> assertThat(Checks.literalEnv(pod, "QUARKUS_HTTP_PORT")).isEqualTo("8080"));
    }

    @Test
    void registryTrustAllowListsReachTheRegistryAndTheProxy() {
        List<Manifests.Doc> production = docs("production");
        assertThat(Checks.resolvedEnv(registry(production), production))
                .containsEntry("PARLEY_CREDENTIALS_ALLOWED_ENV", "TEAM_VLLM_API_KEY")
                .containsEntry("PARLEY_REGISTRY_KUBERNETES_ENDPOINTS_ANNOTATION_NAMESPACES", "team-a")
                .containsEntry("PARLEY_REGISTRY_KUBERNETES_ENDPOINTS_ANNOTATION_URLS",
                        "http://*.{namespace}.svc:*,http://*.{namespace}.svc.cluster.local:*");
        assertThat(Checks.resolvedEnv(pod(production, "proxy"), production))
                .as("the proxy applies the same rule to the references it resolves")
                .containsEntry("PARLEY_CREDENTIALS_ALLOWED_ENV", "TEAM_VLLM_API_KEY");

        // by default no variable may be named and no namespace may choose its endpoint
        List<Manifests.Doc> defaults = docs("default");
        assertThat(Checks.resolvedEnv(registry(defaults), defaults)).doesNotContainKey("PARLEY_CREDENTIALS_ALLOWED_ENV")
                .doesNotContainKey("PARLEY_REGISTRY_KUBERNETES_ENDPOINTS_ANNOTATION_NAMESPACES");
        assertThat(Checks.resolvedEnv(pod(defaults, "proxy"), defaults)).doesNotContainKey("PARLEY_CREDENTIALS_ALLOWED_ENV");
    }

    static Checks.PodOf pod(List<Manifests.Doc> docs, String component) {
        return Checks.pods(docs).stream().filter(pod -> component.equals(pod.component())).findFirst().orElseThrow();
    }

    static String secretRef(Checks.PodOf pod, String env) {
        var ref = pod.spec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals(env)).findFirst()
                .orElseThrow().getValueFrom().getSecretKeyRef();
        return ref.getName() + "/" + ref.getKey();
    }

    @Test
    void shutdownLetsReadinessDropAndStreamsFinishWithinTheGracePeriod() {
        for (Checks.PodOf pod : Checks.pods(docs("production"))) {
            if (!Checks.SERVICES.containsKey(pod.component()) || pod.component().equals("proxy")) {
                continue; // the proxy drains itself: proxyStopsWithinItsGracePeriod
            }
            long grace = pod.spec().getTerminationGracePeriodSeconds();
            long delay = seconds(Checks.literalEnv(pod, "QUARKUS_SHUTDOWN_DELAY"));
            long timeout = seconds(Checks.literalEnv(pod, "QUARKUS_SHUTDOWN_TIMEOUT"));
            assertThat(delay).as("%s readiness drops before work stops", pod.owner().id()).isPositive();
            assertThat(delay + timeout).as("%s finishes before SIGKILL", pod.owner().id()).isLessThan(grace);
        }
        assertThat(pod(docs("production"), "proxy").spec().getTerminationGracePeriodSeconds())
                .as("a 10-minute stream finishes during a rollout").isGreaterThanOrEqualTo(600);
    }

    @Test
    void proxyPreStopNotReadyDelayAndDrainTimeFitItsGracePeriodAndTheSpoolIsMounted() {
        for (String valueSet : List.of("default", "production", "demo")) {
            Checks.PodOf proxy = pod(docs(valueSet), "proxy");
            long grace = proxy.spec().getTerminationGracePeriodSeconds();
            var container = proxy.spec().getContainers().get(0);
            List<String> preStop = container.getLifecycle().getPreStop().getExec().getCommand();
            assertThat(preStop.get(0)).isEqualTo("sleep");
            long sleep = Long.parseLong(preStop.get(1));
            long delay = seconds(Checks.literalEnv(proxy, "PARLEY_PROXY_SHUTDOWN_PRE_STOP_DELAY"));
            long drain = seconds(Checks.literalEnv(proxy, "PARLEY_PROXY_SHUTDOWN_DRAIN_TIME"));
            long quarkusDelay = seconds(Checks.literalEnv(proxy, "QUARKUS_SHUTDOWN_DELAY"));
            long quarkusTimeout = seconds(Checks.literalEnv(proxy, "QUARKUS_SHUTDOWN_TIMEOUT"));
            assertThat(sleep).as("%s: the pod leaves the endpoints before SIGTERM", valueSet).isPositive();
            assertThat(delay).as("%s: readiness is down before new calls are refused", valueSet).isPositive();
            assertThat(drain).as("%s: a 10-minute stream finishes during a rollout", valueSet)
                    .isGreaterThanOrEqualTo(600);
            assertThat(sleep + delay + drain + quarkusDelay + quarkusTimeout + 5)
                    .as("%s: the whole stop ends before SIGKILL", valueSet).isLessThanOrEqualTo(grace);
            assertThat(container.getVolumeMounts()).anySatisfy(m -> {
                assertThat(m.getName()).isEqualTo("usage-spool");
                assertThat(m.getMountPath()).isEqualTo(Checks.literalEnv(proxy, "PARLEY_PROXY_SPOOL_DIR"));
            });
            assertThat(proxy.spec().getVolumes()).anySatisfy(v -> {
                assertThat(v.getName()).isEqualTo("usage-spool");
                assertThat(v.getEmptyDir()).isNotNull();
            });
        }
    }

    @Test
    void proxySpoolOnAClaimAndAGracePeriodTooShortForTheDrainIsRefused() {
        Checks.PodOf proxy = pod(Manifests.parse(Chart.render("default", "proxy:\n  spool:\n    existingClaim: spool-a\n")),
                "proxy");
        assertThat(proxy.spec().getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("usage-spool");
            assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("spool-a");
        });
        assertThatThrownBy(() -> Chart.render("default", "proxy:\n  terminationGracePeriodSeconds: 60\n"))
                .hasMessageContaining("proxy.terminationGracePeriodSeconds");
    }

    static long seconds(String duration) {
        assertThat(duration).endsWith("s");
        return Long.parseLong(duration.substring(0, duration.length() - 1));
    }

    @Test
    void statelessServicesGetPdbsAndOptionalHpas() {
        List<Manifests.Doc> docs = docs("production");

        assertThat(ofType(docs, PodDisruptionBudget.class)).extracting(pdb -> pdb.getMetadata().getName())
                .containsExactlyInAnyOrder("parley-chat", "parley-registry", "parley-proxy", "parley-usage");
        assertThat(ofType(docs, HorizontalPodAutoscaler.class)).extracting(hpa -> hpa.getSpec().getScaleTargetRef().getName())
                .containsExactlyInAnyOrder("parley-proxy", "parley-chat");
        Map<String, Integer> replicas = ofType(docs, Deployment.class).stream().collect(Collectors
                .toMap(d -> d.getMetadata().getName(),
                        d -> d.getSpec().getReplicas() == null ? -1 : d.getSpec().getReplicas()));
        assertThat(replicas).as("an HPA owns the replica count").containsEntry("parley-proxy", -1)
                .containsEntry("parley-chat", -1).containsEntry("parley-registry", 2).containsEntry("parley-usage", 2);
        assertThat(ofType(docs("default"), HorizontalPodAutoscaler.class)).isEmpty();
    }

    @Test
    void ingressesRouteToTheChatServiceAndTheProxyOnly() {
        List<Manifests.Doc> docs = docs("production");

        List<Ingress> ingresses = ofType(docs, Ingress.class);
        assertThat(ingresses).extracting(i -> i.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend()
                .getService().getName()).containsExactlyInAnyOrder("parley-chat", "parley-proxy");
        Set<String> services = ofType(docs, Service.class).stream().map(s -> s.getMetadata().getName())
                .collect(Collectors.toSet());
        assertThat(ingresses).allSatisfy(i -> {
            assertThat(services).contains(i.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend()
                    .getService().getName());
            assertThat(i.getSpec().getTls()).isNotEmpty();
        });
        assertThat(ofType(docs("default"), Ingress.class)).isEmpty();
    }

    /** Issue 14: any chat-service replica serves any turn, so nothing pins a browser to one pod. */
    @Test
    void noServicePinsClientsAndChatServiceRunsTwoReplicasThatDrainTheirTurnsBeforeSigkill() {
        for (String valueSet : Chart.VALUE_SETS) {
            List<Manifests.Doc> docs = docs(valueSet);
            for (Service s : ofType(docs, Service.class)) {
                assertThat(s.getSpec().getSessionAffinity()).as("%s in %s", s.getMetadata().getName(), valueSet)
                        .isNotEqualTo("ClientIP");
            }
            Checks.PodOf chat = pod(docs, "chat");
            Map<String, String> env = Checks.resolvedEnv(chat, docs);
            long grace = chat.spec().getTerminationGracePeriodSeconds();
            long delay = seconds(env.get("QUARKUS_SHUTDOWN_DELAY"));
            long drain = seconds(env.get("PARLEY_TURNS_DRAIN_TIMEOUT"));
            assertThat(drain).as("running turns get most of the grace period (%s)", valueSet).isGreaterThan(grace / 2);
            assertThat(delay + drain).as("the rest are marked interrupted before SIGKILL (%s)", valueSet)
                    .isLessThan(grace - 5);
            assertThat(chat.spec().getContainers().get(0).getEnv()).as("replica names come from the pod")
                    .anySatisfy(e -> {
                        assertThat(e.getName()).isEqualTo("POD_NAME");
                        assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
                    });
        }
        Deployment chat = ofType(docs("default"), Deployment.class).stream()
                .filter(d -> d.getMetadata().getName().equals("parley-chat")).findFirst().orElseThrow();
        assertThat(chat.getSpec().getReplicas()).isEqualTo(2);
        assertThat(chat.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    }

    /**
     * Issue 14, rolling updates that keep running turns: in every value set chat-service never goes below its
     * replicas during a rollout (a new pod is ready before an old one gets SIGTERM), its readiness probe drops first,
     * a node drain takes one pod at a time, and an HPA, where enabled, never scales it below two.
     */
    @Test
    void chatServiceKeepsTwoPodsThroughRolloutsDrainsAndScaling() {
        for (String valueSet : Chart.VALUE_SETS) {
            List<Manifests.Doc> docs = docs(valueSet);
            Deployment chat = ofType(docs, Deployment.class).stream()
                    .filter(d -> d.getMetadata().getName().equals("parley-chat")).findFirst().orElseThrow();
            assertThat(chat.getSpec().getStrategy().getType()).as(valueSet).isEqualTo("RollingUpdate");
            assertThat(chat.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal())
                    .as("no pod leaves before its successor is ready (%s)", valueSet).isZero();
            assertThat(chat.getSpec().getTemplate().getSpec().getContainers().get(0).getReadinessProbe())
                    .as("readiness, which drops during the shutdown delay (%s)", valueSet).isNotNull();
            assertThat(seconds(Checks.resolvedEnv(pod(docs, "chat"), docs).get("QUARKUS_SHUTDOWN_DELAY")))
                    .as("readiness drops before the drain (%s)", valueSet).isPositive();

            PodDisruptionBudget pdb = ofType(docs, PodDisruptionBudget.class).stream()
                    .filter(p -> p.getMetadata().getName().equals("parley-chat")).findFirst()
                    .orElseThrow(() -> new AssertionError("no PDB of chat-service in " + valueSet));
            assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).as(valueSet).isEqualTo(1);
            assertThat(pdb.getSpec().getSelector().getMatchLabels()).as("the PDB covers the chat pods (%s)", valueSet)
                    .isEqualTo(chat.getSpec().getSelector().getMatchLabels());

            for (HorizontalPodAutoscaler hpa : ofType(docs, HorizontalPodAutoscaler.class)) {
                if (hpa.getSpec().getScaleTargetRef().getName().equals("parley-chat")) {
                    assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
                    assertThat(hpa.getSpec().getMinReplicas()).as("two replicas at least (%s)", valueSet)
                            .isGreaterThanOrEqualTo(2);
                    assertThat(chat.getSpec().getReplicas()).as("the HPA owns the count (%s)", valueSet).isNull();
                }
            }
        }
    }

    @Test
    void everyServiceSelectsPodsThatServeItsTargetPort() {
        for (String valueSet : Chart.VALUE_SETS) {
            List<Manifests.Doc> docs = docs(valueSet);
            List<Checks.PodOf> pods = Checks.pods(docs);
            for (Service service : ofType(docs, Service.class)) {
                Map<String, String> selector = service.getSpec().getSelector();
                List<Checks.PodOf> selected = pods.stream().filter(pod -> !(pod.owner().typed() instanceof Pod))
                        .filter(pod -> pod.template().getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                        .toList();
                assertThat(selected).as("%s %s selects one workload", valueSet, service.getMetadata().getName()).hasSize(1);
                String targetPort = service.getSpec().getPorts().get(0).getTargetPort().getStrVal();
                assertThat(selected.get(0).spec().getContainers().get(0).getPorts())
                        .anySatisfy(port -> assertThat(port.getName()).isEqualTo(targetPort));
            }
        }
    }

    @Test
    void everyPodIsFencedByANetworkPolicyAndModelPodsAdmitOnlyTheProxyAndTheRegistry() {
        List<Manifests.Doc> docs = docs("demo");
        List<NetworkPolicy> policies = ofType(docs, NetworkPolicy.class);

        for (Checks.PodOf pod : Checks.pods(docs)) {
            if (pod.owner().typed() instanceof Pod) {
                continue; // the helm test pod receives no traffic
            }
            assertThat(policies).as("%s is selected by a NetworkPolicy", pod.owner().id()).anySatisfy(policy -> assertThat(
                    pod.template().getMetadata().getLabels())
                    .containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels()));
        }
        assertThat(admittedComponents(policy(policies, "parley-simulator"))).containsExactlyInAnyOrder("proxy", "registry");
        assertThat(admittedComponents(policy(policies, "parley-postgresql"))).containsExactlyInAnyOrder("chat", "proxy",
                "usage");
        assertThat(admittedComponents(policy(policies, "parley-registry"))).containsExactlyInAnyOrder("chat", "proxy", "test");
        assertThat(admittedComponents(policy(policies, "parley-usage"))).containsExactlyInAnyOrder("chat", "proxy", "test");

        List<NetworkPolicy> production = ofType(docs("production"), NetworkPolicy.class);
        List<NetworkPolicy> models = production.stream().filter(p -> p.getMetadata().getName().equals("parley-models"))
                .toList();
        assertThat(models).as("one per watched namespace").extracting(p -> p.getMetadata().getNamespace())
                .containsExactlyInAnyOrder("sambastack", "team-a");
        assertThat(models).allSatisfy(model -> {
            assertThat(admittedComponents(model)).containsExactlyInAnyOrder("proxy", "registry");
            assertThat(model.getSpec().getIngress().get(0).getFrom()).allSatisfy(peer -> assertThat(
                    peer.getNamespaceSelector().getMatchLabels()).containsEntry("kubernetes.io/metadata.name", "parley"));
            assertThat(model.getSpec().getPodSelector().getMatchLabels()).containsEntry("app.kubernetes.io/part-of",
                    "sambastack");
        });
        assertThat(policy(production, "parley-registry").getSpec().getIngress()).as("Prometheus may scrape /q/metrics")
                .anySatisfy(rule -> assertThat(rule.getFrom()).singleElement().satisfies(peer -> assertThat(
                        peer.getNamespaceSelector().getMatchLabels())
                        .containsEntry("kubernetes.io/metadata.name", "monitoring")));
        // issue 15: /q/metrics is on the management port 9000 only, and only the metrics peers reach it
        for (String name : List.of("parley-registry", "parley-proxy", "parley-usage", "parley-chat")) {
            assertThat(policy(production, name).getSpec().getIngress()).as(name + ": who reaches the management port")
                    .allSatisfy(rule -> {
                        boolean management = rule.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == 9000);
                        boolean monitoring = rule.getFrom() != null && rule.getFrom().stream()
                                .anyMatch(peer -> peer.getNamespaceSelector() != null && "monitoring".equals(
                                        peer.getNamespaceSelector().getMatchLabels().get("kubernetes.io/metadata.name")));
                        assertThat(management).isEqualTo(monitoring);
                    });
        }
        assertThat(policy(production, "parley-proxy").getSpec().getIngress().get(0).getFrom())
                .as("the proxy admits the ingress controller's namespace besides chat-service")
                .anySatisfy(peer -> assertThat(peer.getNamespaceSelector()).isNotNull());
    }

    static NetworkPolicy policy(List<NetworkPolicy> policies, String name) {
        return policies.stream().filter(p -> p.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    /** Components of this release a policy admits; the policy must admit nothing else. */
    static List<String> admittedComponents(NetworkPolicy policy) {
        assertThat(policy.getSpec().getPolicyTypes()).contains("Ingress");
        return policy.getSpec().getIngress().stream().flatMap(rule -> rule.getFrom().stream())
                .map(NetworkPolicyPeer::getPodSelector)
                .peek(selector -> assertThat(selector).as("only pod selectors of this release").isNotNull())
                .map(selector -> selector.getMatchLabels().get("app.kubernetes.io/component")).toList();
    }

    @Test
    void demoModeAddsPostgresTheSimulatorAndSampleResourcesAsPostInstallHooks() {
        List<Manifests.Doc> docs = docs("demo");

        assertThat(Checks.resolvedEnv(registry(docs), docs)).containsEntry("PARLEY_REGISTRY_SOURCE", "kubernetes,static")
                .containsEntry("PARLEY_SIMULATOR_URL", "http://parley-simulator:8080");
        assertThat(Checks.resolvedEnv(pod(docs, "proxy"), docs))
                .containsEntry("PARLEY_DB_URL", "jdbc:postgresql://parley-postgresql:5432/parley_proxy");
        assertThat(secretRef(pod(docs, "postgresql"), "POSTGRES_PASSWORD")).isEqualTo("parley-db/password");

        Manifests.Doc bundle = find(docs, "Bundle", "parley-simulator");
        Manifests.Doc deployment = find(docs, "BundleDeployment", "parley-simulator");
        for (Manifests.Doc hook : List.of(bundle, deployment)) {
            assertThat(hook.annotations()).containsEntry(Chart.HOOK_MARK + "hook", "post-install,post-upgrade");
        }
        assertThat(CustomResources.violations(bundle, docs)).isEmpty();
        assertThat(CustomResources.violations(deployment, docs)).isEmpty();
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) deployment.raw().get("spec");
        assertThat(spec.get("bundle")).as("the BundleDeployment deploys the demo Bundle").isEqualTo(bundle.name());
        assertThat(find(docs, "Service", deployment.name())).as("the endpoint resolves to the Service of the same name")
                .isNotNull();

        List<Manifests.Doc> defaults = docs("default");
        assertThat(defaults).extracting(Manifests.Doc::kind).doesNotContain("StatefulSet", "Bundle", "BundleDeployment");
        assertThat(Checks.pods(defaults)).extracting(Checks.PodOf::component).doesNotContain("simulator", "postgresql");
    }

    @Test
    void helmTestHookChecksThatEveryServiceAnswers() {
        Manifests.Doc test = find(docs("default"), "Pod", "parley-test");

        assertThat(test.annotations()).containsEntry(Chart.HOOK_MARK + "hook", "test");
        String script = String.join("\n", test.as(Pod.class).getSpec().getContainers().get(0).getArgs());
        for (String component : Checks.SERVICES.keySet()) {
            assertThat(script).contains("http://parley-" + component + ":8080/q/health/ready");
        }
        assertThat(script).contains("/v1/models").contains("401");
    }

    @Test
    void notesTellTheNextSteps() {
        String output = new Helm(Chart.DIR).install().withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE)
                .withValuesFile(Chart.values("demo")).dryRun().clientOnly().call().getOutput();

        assertThat(output).contains("helm test parley -n parley")
                .contains("kubectl -n parley port-forward svc/parley-chat 8080:8080")
                .contains("DEMO MODE");
    }

    @Test
    void staticEndpointsReachTheRegistryAsAMountedPropertiesFile() {
        List<Manifests.Doc> docs = docs("production");
        Checks.PodOf registry = registry(docs);

        assertThat(Checks.resolvedEnv(registry, docs)).containsEntry("QUARKUS_CONFIG_LOCATIONS",
                "/etc/parley/application.properties");
        var properties = find(docs, "ConfigMap", "parley-registry-properties")
                .as(io.fabric8.kubernetes.api.model.ConfigMap.class);
        assertThat(properties.getData().get("application.properties"))
                .contains("parley.registry.static.endpoints.team-vllm.url=http://vllm.team-a.svc:8000")
                .contains("credential-ref=env:TEAM_VLLM_API_KEY");
        assertThat(registry.spec().getContainers().get(0).getVolumeMounts())
                .anySatisfy(mount -> assertThat(mount.getMountPath()).isEqualTo("/etc/parley"));
        assertThat(registry.spec().getVolumes())
                .extracting(volume -> volume.getConfigMap() == null ? null : volume.getConfigMap().getName())
                .contains("parley-registry-properties");
    }
}
