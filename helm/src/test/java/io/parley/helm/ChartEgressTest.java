package io.parley.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

/**
 * Egress NetworkPolicies: each Parley pod may connect to what it needs and nothing else (the chart here, k8s/ in
 * {@link K8sManifestsTest}). Destinations read as "peer port", see {@link Checks#egressOf}.
 */
class ChartEgressTest {

    static final Set<String> DNS = Set.of("ns:kube-system/k8s-app=kube-dns 53/UDP", "ns:kube-system/k8s-app=kube-dns 53/TCP");
    static final List<String> PARLEY_PODS = List.of("pod:proxy 8080/TCP", "pod:registry 8080/TCP", "pod:usage 8080/TCP");

    static Set<String> set(Set<String> dns, String... destinations) {
        Set<String> all = new TreeSet<>(dns);
        all.addAll(List.of(destinations));
        return all;
    }

    static List<NetworkPolicy> policies(String valueSet) {
        return ChartBehaviourTest.ofType(ChartBehaviourTest.docs(valueSet), NetworkPolicy.class);
    }

    /**
     * The egress of every component with an external PostgreSQL and no model endpoint named: destinations outside
     * the cluster are limited by port only (the OIDC port taken from its URL), model endpoints are unrestricted.
     */
    static Map<String, Set<String>> portOnlyEgress(int oidcPort) {
        String oidc = "any " + oidcPort + "/TCP";
        return Map.of(
                "chat", set(DNS, "any 5432/TCP", oidc, PARLEY_PODS.get(0), PARLEY_PODS.get(1), PARLEY_PODS.get(2)),
                "proxy", set(DNS, "any 5432/TCP", oidc, "pod:registry 8080/TCP", "pod:usage 8080/TCP", "any all"),
                "registry", set(DNS, oidc, "any 443/TCP", "any 6443/TCP", "any all"),
                "usage", set(DNS, "any 5432/TCP", oidc));
    }

    /** Demo mode: the in-chart PostgreSQL and the simulator are the database and the model; they call nothing. */
    static Map<String, Set<String>> demoEgress(int oidcPort) {
        String oidc = "any " + oidcPort + "/TCP";
        String database = "pod:postgresql 5432/TCP";
        String simulator = "pod:simulator 8080/TCP";
        return Map.of(
                "chat", set(DNS, database, oidc, PARLEY_PODS.get(0), PARLEY_PODS.get(1), PARLEY_PODS.get(2)),
                "proxy", set(DNS, database, oidc, "pod:registry 8080/TCP", "pod:usage 8080/TCP", simulator),
                "registry", set(DNS, oidc, "any 443/TCP", "any 6443/TCP", simulator),
                "usage", set(DNS, database, oidc),
                "simulator", Set.of(),
                "postgresql", Set.of());
    }

    static void assertEgress(List<NetworkPolicy> policies, Map<String, Set<String>> expected) {
        expected.forEach((component, destinations) -> assertThat(Checks.egressOf(policies, component))
                .as("egress of %s", component).containsExactlyInAnyOrderElementsOf(destinations));
    }

    @Test
    void byDefaultEachServiceReachesDnsItsDatabaseTheIssuerAndItsPeersOnlyOnTheirPorts() {
        assertEgress(policies("default"), portOnlyEgress(443));
    }

    @Test
    void inDemoModeTheDatabaseAndTheModelAreTheInChartPodsAndTheyReachNothing() {
        List<NetworkPolicy> policies = policies("demo");

        assertEgress(policies, demoEgress(8080)); // http://keycloak.keycloak.svc:8080
        assertThat(ChartBehaviourTest.policy(policies, "parley-simulator").getSpec().getPolicyTypes())
                .containsExactly("Ingress", "Egress");
    }

    @Test
    void configuredDestinationsNarrowEachRuleToExactlyThosePeers() {
        String database = "ns:databases/cnpg.io/cluster=parley-pg 5432/TCP";
        String oidc = "ip:203.0.113.10/32 443/TCP";
        List<String> models = List.of("ns:sambastack/app.kubernetes.io/part-of=sambastack 8000/TCP",
                "ns:team-a/app.kubernetes.io/part-of=sambastack 8000/TCP", "ns:team-a/app.kubernetes.io/name=vllm 8000/TCP");

        assertEgress(policies("production"), Map.of(
                "chat", set(DNS, database, oidc, PARLEY_PODS.get(0), PARLEY_PODS.get(1), PARLEY_PODS.get(2)),
                // the API server: the proxy reads the Secrets of credential references there (credentials.secrets)
                "proxy", set(set(DNS, database, oidc, "pod:registry 8080/TCP", "pod:usage 8080/TCP",
                        "ip:10.0.0.1/32 6443/TCP"), models.toArray(String[]::new)),
                "registry", set(set(DNS, oidc, "ip:10.0.0.1/32 6443/TCP"), models.toArray(String[]::new)),
                "usage", set(DNS, database, oidc)));
    }

    @Test
    void theOidcPortFollowsTheIssuerUrlUnlessGiven() {
        List<NetworkPolicy> explicitPort = ChartBehaviourTest.ofType(Manifests.parse(Chart.render("default",
                "oidc:\n  authServerUrl: https://sso.example.com:8443/realms/parley\n")), NetworkPolicy.class);
        assertThat(Checks.egressOf(explicitPort, "usage")).contains("any 8443/TCP").doesNotContain("any 443/TCP");

        List<NetworkPolicy> plainHttp = ChartBehaviourTest.ofType(Manifests.parse(Chart.render("default",
                "oidc:\n  authServerUrl: http://keycloak.sso/realms/parley\n")), NetworkPolicy.class);
        assertThat(Checks.egressOf(plainHttp, "usage")).contains("any 80/TCP");

        List<NetworkPolicy> given = ChartBehaviourTest.ofType(Manifests.parse(Chart.render("default",
                "networkPolicy:\n  egress:\n    oidc:\n      ports: [8080]\n")), NetworkPolicy.class);
        assertThat(Checks.egressOf(given, "usage")).contains("any 8080/TCP").doesNotContain("any 443/TCP");
    }

    @Test
    void watchingEveryNamespaceSendsTheModelRuleToTheModelPodsOfAnyNamespace() {
        List<NetworkPolicy> policies = ChartBehaviourTest.ofType(Manifests.parse(Chart.render("default",
                "registry:\n  watchNamespaces: [\"*\"]\nnetworkPolicy:\n  modelPods:\n    podSelector:\n"
                        + "      matchLabels:\n        serving: llm\n")),
                NetworkPolicy.class);

        assertThat(Checks.egressOf(policies, "proxy")).contains("ns:*/serving=llm all").doesNotContain("any all");
        assertThat(Checks.egressOf(policies, "registry")).contains("ns:*/serving=llm all").doesNotContain("any all");
    }

    @Test
    void disablingEgressLeavesTheIngressPoliciesAndDisablingPoliciesRemovesThemAll() {
        List<NetworkPolicy> ingressOnly = ChartBehaviourTest.ofType(Manifests.parse(Chart.render("demo",
                "networkPolicy:\n  egress:\n    enabled: false\n")), NetworkPolicy.class);
        assertThat(ingressOnly).extracting(policy -> policy.getMetadata().getName()).containsExactlyInAnyOrder(
                "parley-chat", "parley-proxy", "parley-registry", "parley-usage", "parley-simulator", "parley-postgresql");
        assertThat(ingressOnly).allSatisfy(policy -> {
            assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
            assertThat(policy.getSpec().getEgress()).isNullOrEmpty();
        });

        List<Manifests.Doc> none = Manifests.parse(Chart.render("demo", "networkPolicy:\n  enabled: false\n"));
        assertThat(ChartBehaviourTest.ofType(none, NetworkPolicy.class)).isEmpty();
    }

    @Test
    void notesNameTheDestinationsStillLimitedByPortOnly() {
        String defaults = notes("default");
        assertThat(defaults).contains("limited by port only: PostgreSQL, the OIDC issuer, the Kubernetes API server")
                .contains("may reach any address on any port until model endpoints are named");

        String production = notes("production");
        assertThat(production).doesNotContain("limited by port only").doesNotContain("any address on any port");
    }

    static String notes(String valueSet) {
        return new com.marcnuri.helm.Helm(Chart.DIR).install().withName(Chart.RELEASE).withNamespace(Chart.NAMESPACE)
                .withValuesFile(Chart.values(valueSet)).dryRun().clientOnly().call().getOutput();
    }

    @Test
    void schemaRejectsMisspelledOrMistypedEgressValues() {
        assertThatThrownBy(() -> Chart.render("default", "networkPolicy:\n  egress:\n    enabeld: false\n"))
                .hasMessageContaining("enabeld");
        assertThatThrownBy(() -> Chart.render("default", "networkPolicy:\n  egress:\n    database:\n      cidr: 10.0.0.0/8\n"))
                .hasMessageContaining("cidr");
        assertThatThrownBy(
                () -> Chart.render("default", "networkPolicy:\n  egress:\n    kubernetesApi:\n      ports: [\"6443\"]\n"))
                .hasMessageContaining("ports");
        assertThatThrownBy(() -> Chart.render("default", "networkPolicy:\n  egress:\n    dns:\n      ports: [0]\n"))
                .hasMessageContaining("ports");
        assertThatThrownBy(() -> Chart.render("default",
                "networkPolicy:\n  egress:\n    oidc:\n      to:\n        - ipBlok: {cidr: 10.0.0.0/8}\n"))
                .hasMessageContaining("ipBlok");
        assertThatThrownBy(() -> Chart.render("default",
                "networkPolicy:\n  egress:\n    database:\n      to:\n        - podSelector: {matchLabel: {app: pg}}\n"))
                .hasMessageContaining("matchLabel");
    }
}
