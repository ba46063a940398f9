package io.parley.registry.kubernetes;

import static io.parley.registry.support.FakeUpstreamResource.UPSTREAM;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.parley.registry.crd.Bundle;
import io.parley.registry.crd.BundleDeployment;
import io.parley.registry.crd.BundleDeploymentSpec;
import io.parley.registry.crd.BundleSpec;
import io.parley.registry.support.FakeUpstream;
import io.parley.registry.support.FakeUpstreamResource;
import io.parley.registry.support.SseFollower;
import io.parley.testsupport.TestTokens;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.response.ValidatableResponse;

/**
 * Registry trust (issue 15 point 6): whoever may create a BundleDeployment in a watched namespace cannot point the
 * proxy at a host of their choice nor make it send any environment variable as a bearer token. Endpoint annotations
 * are honoured only in allowed namespaces and for allowed URL patterns, credential references only in the forms of
 * {@code io.parley.contracts.CredentialRef}; a refused annotation leaves the deployment not served with the reason.
 * Upstream URLs and credential references are shown to admins and the proxy only.
 */
@QuarkusTest
@TestProfile(RegistryTrustProfile.class)
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(FakeUpstreamResource.class)
class RegistryTrustSecurityTest {

    static final String USER = TestTokens.user("alice", "user");
    static final String ADMIN = TestTokens.user("admin", "user", "admin");
    static final String PROXY = TestTokens.service("parley-proxy", "usage-writer");
    static final Duration WAIT = Duration.ofSeconds(20);

    @KubernetesTestServer
    KubernetesServer server;

    @TestHTTPResource("/v1/models/changes")
    URI changes;

    @Test
    void anEndpointAnnotationInANamespaceNotAllowedIsRefusedAndTheDeploymentIsNotServed() {
        UPSTREAM.serve("tb-model", 4096);
        servedDeployment("team-b", "tb1", "tb-model", Map.of("parley.io/endpoint", UPSTREAM.url()));

        await().atMost(WAIT).untilAsserted(() -> get(ADMIN, "/v1/deployments/tb1?namespace=team-b")
                .body("served", equalTo(false))
                .body("state", equalTo("Invalid"))
                .body("reason", containsString("annotation parley.io/endpoint refused: namespace team-b may not set"
                        + " upstream endpoints (parley.registry.kubernetes.endpoints.annotation-namespaces)"))
                .body("endpoints.size()", equalTo(0)));
        get(ADMIN, "/v1/models").body(model("tb-model", "state"), equalTo("Invalid"));
        get(ADMIN, "/v1/models/running").body("models.name", not(hasItem("tb-model")));
    }

    @Test
    void anEndpointAnnotationOutsideTheAllowedPatternsIsRefusedAndTheUserSeesNoUrlInTheReason() {
        servedDeployment("team-a", "ta-evil", "evil-model", Map.of("parley.io/endpoint", "http://collector.evil.example:80"));
        servedDeployment("team-a", "ta-other-ns", "other-ns-model",
                Map.of("parley.io/endpoint", "http://llama.team-b.svc:8080"));
        servedDeployment("team-a", "ta-userinfo", "userinfo-model",
                Map.of("parley.io/endpoint", "http://x@" + UPSTREAM.url().substring("http://".length())));

        await().atMost(WAIT).untilAsserted(() -> get(ADMIN, "/v1/deployments/ta-evil?namespace=team-a")
                .body("state", equalTo("Invalid"))
                .body("reason", containsString("refused: http://collector.evil.example:80 matches none of the allowed"
                        + " URL patterns")));
        await().atMost(WAIT).untilAsserted(() -> get(ADMIN, "/v1/deployments/ta-other-ns?namespace=team-a")
                .body("reason", containsString("http://llama.team-b.svc:8080 matches none of the allowed")));
        await().atMost(WAIT).untilAsserted(() -> get(ADMIN, "/v1/deployments/ta-userinfo?namespace=team-a")
                .body("reason", containsString("is not a plain http(s) base URL")));

        String userView = get(USER, "/v1/deployments/ta-evil?namespace=team-a")
                .body("reason", containsString("refused: (an upstream URL, shown to admins) matches none"))
                .extract().asString();
        assertFalse(userView.contains("evil.example"), userView);
    }

    @Test
    void anEnvironmentVariableNotAllowListedIsNeverSentAndTheDeploymentSaysWhy() {
        UPSTREAM.serve("db-leak-model", 4096);
        servedDeployment("team-a", "ta-env", "db-leak-model", Map.of("parley.io/endpoint", UPSTREAM.url(),
                "parley.io/credential-ref", "env:PARLEY_DB_PASSWORD"));
        servedDeployment("team-a", "ta-other-secret", "other-secret-model", Map.of("parley.io/endpoint", UPSTREAM.url(),
                "parley.io/credential-ref", "secret:parley/parley-db/password"));

        await().atMost(WAIT).untilAsserted(() -> get(ADMIN, "/v1/deployments/ta-env?namespace=team-a")
                .body("state", equalTo("Invalid"))
                .body("reason", containsString("annotation parley.io/credential-ref refused: environment variable"
                        + " PARLEY_DB_PASSWORD is not in the allowed list (parley.credentials.allowed-env)"))
                .body("endpoints.size()", equalTo(0)));
        await().atMost(WAIT).untilAsserted(() -> get(ADMIN, "/v1/deployments/ta-other-secret?namespace=team-a")
                .body("reason", containsString("only name a Secret in the deployment's own namespace team-a")));
        assertFalse(UPSTREAM.authorizations().stream().anyMatch(a -> a.contains("db-password-never-sent")),
                UPSTREAM.authorizations().toString());
    }

    @Test
    void aSecretKeyOfTheDeploymentsNamespaceIsSentToItsUpstreamAndShownOnlyAsItsReference() {
        client().resource(new SecretBuilder().withNewMetadata().withName("llama-key").withNamespace("team-a")
                .endMetadata()
                .withData(Map.of("api-key", Base64.getEncoder()
                        .encodeToString(FakeUpstream.KEY.getBytes(StandardCharsets.UTF_8))))
                .build()).create();
        servedDeployment("team-a", "ta-keyed", "keyed-model", Map.of("parley.io/endpoint", UPSTREAM.url() + "/keyed",
                "parley.io/credential-ref", "secret:llama-key/api-key"));

        // the keyed upstream answers only with the Secret's key: Ready proves the probe sent it
        await().atMost(WAIT).untilAsserted(() -> get(ADMIN, "/v1/models/running")
                .body(model("keyed-model", "state"), equalTo("Ready"))
                .body(model("keyed-model", "endpoints[0].credential_ref"), equalTo("secret:team-a/llama-key/api-key")));
        String all = get(ADMIN, "/v1/models").extract().asString() + get(ADMIN, "/v1/deployments").extract().asString();
        assertFalse(all.contains(FakeUpstream.KEY), "the key itself is never shown");
    }

    @Test
    void aMissingSecretOrKeyLeavesTheDeploymentUnhealthyWithTheReasonAndSendsNothing() {
        client().resource(new SecretBuilder().withNewMetadata().withName("partial-key").withNamespace("team-a")
                .endMetadata().withData(Map.of("other", Base64.getEncoder()
                        .encodeToString("not-the-api-key-value".getBytes(StandardCharsets.UTF_8))))
                .build()).create();
        // health is kept per upstream URL: one each (never connected to, as the probe goes nowhere without its key)
        servedDeployment("team-a", "ta-no-secret", "no-secret-model", Map.of("parley.io/endpoint",
                "http://no-secret.team-a.svc:8000", "parley.io/credential-ref", "secret:absent-key/api-key"));
        servedDeployment("team-a", "ta-no-key", "no-key-model", Map.of("parley.io/endpoint",
                "http://no-key.team-a.svc:8000", "parley.io/credential-ref", "secret:partial-key/api-key"));

        // the reason names what is missing (references only, in the proxy's words), never a value
        await().atMost(WAIT).untilAsserted(() -> get(ADMIN, "/v1/models")
                .body(model("no-secret-model", "state"), equalTo("Unhealthy"))
                .body(model("no-secret-model", "reason"), containsString("no API key: Secret team-a/absent-key not found")));
        await().atMost(WAIT).untilAsserted(() -> get(ADMIN, "/v1/models")
                .body(model("no-key-model", "state"), equalTo("Unhealthy"))
                .body(model("no-key-model", "reason"),
                        containsString("no API key: Secret team-a/partial-key has no key api-key")));
        String views = get(ADMIN, "/v1/deployments").extract().asString() + get(ADMIN, "/v1/models").extract().asString();
        assertFalse(views.contains("not-the-api-key-value"), views);
        get(USER, "/v1/models/running").body("models.name", not(hasItem("no-key-model")));
    }

    @Test
    void upstreamUrlsAndCredentialReferencesAreShownToAdminsAndTheProxyOnly() throws Exception {
        UPSTREAM.serve("shown-model", 4096);
        servedDeployment("team-a", "ta-shown", "shown-model", Map.of("parley.io/endpoint", UPSTREAM.url(),
                "parley.io/credential-ref", "env:PARLEY_TEST_KEYED_KEY"));
        await().atMost(WAIT).untilAsserted(() -> get(ADMIN, "/v1/models/running")
                .body(model("shown-model", "endpoints[0].url"), equalTo(UPSTREAM.url()))
                .body(model("shown-model", "endpoints[0].credential_ref"), equalTo("env:PARLEY_TEST_KEYED_KEY")));
        get(PROXY, "/v1/models/running").body(model("shown-model", "endpoints[0].url"), equalTo(UPSTREAM.url()));
        get(ADMIN, "/v1/deployments/ta-shown?namespace=team-a").body("endpoints[0].url", equalTo(UPSTREAM.url()));

        String host = UPSTREAM.url().substring("http://".length());
        for (String path : List.of("/v1/models", "/v1/models/running", "/v1/deployments",
                "/v1/deployments/ta-shown?namespace=team-a")) {
            String body = get(USER, path).extract().asString();
            assertFalse(body.contains(host), path + " shows an upstream URL to a user: " + body);
            assertFalse(body.contains("PARLEY_TEST_KEYED_KEY"), path + " shows a credential reference: " + body);
        }
        get(USER, "/v1/models/running").body(model("shown-model", "endpoints.size()"), equalTo(0));

        try (SseFollower user = new SseFollower(changes, USER); SseFollower proxy = new SseFollower(changes, PROXY)) {
            await().atMost(WAIT).until(() -> !user.events("snapshot").isEmpty() && !proxy.events("snapshot").isEmpty());
            String userSnapshot = user.events("snapshot").get(0).data().toString();
            assertTrue(userSnapshot.contains("shown-model"), userSnapshot);
            assertFalse(userSnapshot.contains(host), userSnapshot);
            assertTrue(proxy.events("snapshot").get(0).data().toString().contains(host));
        }
    }

    // --- fixtures

    KubernetesClient client() {
        return server.getClient();
    }

    static ValidatableResponse get(String token, String path) {
        return given().auth().oauth2(token).when().get(path).then().statusCode(200);
    }

    static String model(String name, String field) {
        return "models.find { it.name == '" + name + "' }." + field;
    }

    <T extends HasMetadata> T apply(T resource) {
        T existing = client().resource(resource).get();
        if (existing == null) {
            return client().resource(resource).create();
        }
        resource.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
        return client().resource(resource).update();
    }

    /** A bundle with one model, its deployment with {@code annotations}, and its pods ready. */
    void servedDeployment(String ns, String name, String model, Map<String, String> annotations) {
        Bundle b = new Bundle();
        b.getMetadata().setName("b-" + name);
        b.getMetadata().setNamespace(ns);
        BundleSpec spec = new BundleSpec();
        spec.setTemplate("tpl");
        Map<String, BundleSpec.BundleModel> models = new LinkedHashMap<>();
        models.put(model, new BundleSpec.BundleModel("ckpt-" + model, "tpl"));
        spec.setModels(models);
        b.setSpec(spec);
        apply(b);
        BundleDeployment d = new BundleDeployment();
        d.getMetadata().setName(name);
        d.getMetadata().setNamespace(ns);
        d.getMetadata().setAnnotations(annotations);
        BundleDeploymentSpec dspec = new BundleDeploymentSpec();
        dspec.setBundle("b-" + name);
        dspec.setGroups(List.of(new BundleDeploymentSpec.Group("default", 1)));
        d.setSpec(dspec);
        apply(d);
        for (String pod : List.of(name + "-cache-0", name + "-default-0")) {
            apply(new PodBuilder().withNewMetadata().withName(pod).withNamespace(ns).endMetadata()
                    .withNewSpec().addNewContainer().withName("engine").withImage("engine:1").endContainer().endSpec()
                    .withNewStatus().withPhase("Running")
                    .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build())
                    .withContainerStatuses(new ContainerStatusBuilder().withName("engine").withReady(true).build())
                    .endStatus().build());
        }
    }
}
