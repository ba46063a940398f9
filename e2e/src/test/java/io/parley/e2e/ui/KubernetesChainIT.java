package io.parley.e2e.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.parley.e2e.Clients;
import io.parley.e2e.PlatformExtension;
import io.parley.e2e.platform.LocalPlatform;
import io.parley.e2e.platform.StandInOperator;
import io.restassured.path.json.JsonPath;

/**
 * Issue 13, end to end through the real chain: a model registry with {@code source=kubernetes} (the packaged jar)
 * against the stand-in cluster (fabric8's mock API server in its own process, SambaStack's CRDs, a ModelDeployment
 * of the current generation and a BundleDeployment of the old one, pods made by the stand-in operator as SambaStack's
 * inference operator names them, kept not ready), a proxy and a chat-service following that registry, and the
 * platform's Keycloak, PostgreSQL, usage-service and simulator. While the pods are not ready the registry lists the
 * model Pending with the pod's reason and the playground's "See why" shows it; once the ModelDeployment's pods turn
 * ready, an official openai-java call through the proxy and a playground turn reach its model (its serving name,
 * {@code Model.spec.name}, answered by the simulator behind the namespace's gateway).
 */
@ExtendWith(PlatformExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubernetesChainIT {

    static final String CLUSTER = "k8s-stand-in";
    static final String REGISTRY = "k8s-model-registry";
    static final String PROXY = "k8s-inference-proxy";
    static final String CHAT = "k8s-chat-service";
    static final String MODEL = LocalPlatform.STAND_IN_MODEL;
    static final String LEGACY_MODEL = LocalPlatform.STAND_IN_LEGACY_MODEL;
    static final String DEPLOYMENT = "llama-3-3-prod";
    /** What the registry must say while the cache pod loads: the operator's pod name and the kubelet's reason. */
    static final String REASON = "pod inf-" + DEPLOYMENT + "-cache-0 not ready: ContainersNotReady";
    static final Duration WAIT = Duration.ofSeconds(60);

    LocalPlatform platform;
    KubernetesClient kube;
    OpenAIClient openai;
    Ui ui;
    String alice;
    String registryUrl;
    String proxyUrl;
    String chatUrl;

    @BeforeAll
    void startTheChainOnTheStandInCluster(LocalPlatform started) throws IOException {
        platform = started;
        PlaywrightAssertions.setDefaultAssertionTimeout(30_000);
        int registryPort = freePort();
        int proxyPort = freePort();
        int chatPort = freePort();
        registryUrl = "http://127.0.0.1:" + registryPort;
        proxyUrl = "http://127.0.0.1:" + proxyPort;
        chatUrl = "http://localhost:" + chatPort;

        // pods stay not ready until the test annotates the deployment
        Path kubeconfig = platform.startStandInCluster(CLUSTER, freePort(), "never");
        Map<String, String> registryEnv = new LinkedHashMap<>(platform.standInRegistryEnv(kubeconfig));
        registryEnv.put("HEALTH_POLL_SEC", "1");
        registryEnv.put("HEALTH_CHECK_TTL_SEC", "3");
        platform.startServiceCopy(REGISTRY, LocalPlatform.REGISTRY, registryPort, registryEnv);
        platform.startServiceCopy(PROXY, LocalPlatform.PROXY, proxyPort, Map.of("PARLEY_REGISTRY_URL", registryUrl));
        platform.startServiceCopy(CHAT, LocalPlatform.CHAT, chatPort, Map.of(
                "PARLEY_REGISTRY_URL", registryUrl,
                "PARLEY_PROXY_URL", proxyUrl));

        kube = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig))).build();
        alice = Clients.token(platform, "alice");
        openai = OpenAIOkHttpClient.builder().baseUrl(proxyUrl + "/v1").apiKey(alice).maxRetries(0).build();
        ui = Ui.start();
    }

    @AfterAll
    void stopWhatThisTestStarted() {
        if (ui != null) {
            ui.close();
        }
        if (openai != null) {
            openai.close();
        }
        if (kube != null) {
            kube.close();
        }
        for (String name : List.of(CHAT, PROXY, REGISTRY, CLUSTER)) {
            try {
                platform.stopProcess(name);
            } catch (IllegalStateException notRunning) {
                // it did not start: nothing to stop
            }
        }
    }

    Optional<Map<String, Object>> listed(String path, String name) {
        JsonPath body = given().baseUri(registryUrl).auth().oauth2(alice).get(path).then().statusCode(200)
                .extract().jsonPath();
        return body.<Map<String, Object>> getList("models").stream().filter(m -> name.equals(m.get("name")))
                .findFirst();
    }

    @Test
    void aModelDeploymentIsPendingWithItsPodsReasonThenServedToTheSdkAndThePlaygroundOnceItsPodsAreReady() {
        // 1. not ready: Pending, with the operator-named pod's reason, and not offered
        await().atMost(WAIT).untilAsserted(() -> {
            Map<String, Object> m = listed("/v1/models", MODEL).orElseThrow(() -> new AssertionError(MODEL
                    + " not listed by the registry"));
            assertEquals("Pending", m.get("state"), m.toString());
            assertEquals(DEPLOYMENT, m.get("deployment"), m.toString());
            assertTrue(String.valueOf(m.get("reason")).contains(REASON), m.toString());
            Map<String, Object> legacy = listed("/v1/models", LEGACY_MODEL).orElseThrow();
            assertEquals("Pending", legacy.get("state"), legacy.toString());
        });
        assertTrue(listed("/v1/models/running", MODEL).isEmpty());

        Page page = ui.login(platform, "alice");
        page.navigate(chatUrl + "/");
        assertThat(page.locator("header")).containsText("alice");
        assertThat(page.locator("body[data-ready='true']")).hasCount(1);
        assertThat(page.locator("#models-empty")).containsText("No models running");
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("See why")).click();
        Locator why = page.locator("#why-dialog");
        assertThat(why).isVisible();
        Locator entry = why.locator("li", new Locator.LocatorOptions().setHasText(MODEL));
        assertThat(entry).containsText(DEPLOYMENT);
        assertThat(entry).containsText("Pending");
        assertThat(entry).containsText(REASON);
        Ui.screenshot(page, "playground-model-deployment-pending.png");
        page.locator("#close-why").click();

        // 2. the stand-in operator turns the ModelDeployment's pods ready (the BundleDeployment's stay as they are)
        var modelDeployments = new ResourceDefinitionContext.Builder().withGroup("sambanova.ai")
                .withVersion("v1alpha1").withKind("ModelDeployment").withPlural("modeldeployments")
                .withNamespaced(true).build();
        assertNotNull(kube.genericKubernetesResources(modelDeployments).withName(DEPLOYMENT).edit(d -> {
            Map<String, String> annotations = new LinkedHashMap<>(Optional.ofNullable(d.getMetadata()
                    .getAnnotations()).orElse(Map.of()));
            annotations.put(StandInOperator.READY_AFTER_ANNOTATION, "0s");
            d.getMetadata().setAnnotations(annotations);
            return d;
        }));
        await().atMost(WAIT).untilAsserted(() -> {
            Map<String, Object> m = listed("/v1/models/running", MODEL).orElseThrow(() -> new AssertionError(
                    MODEL + " not running yet: " + listed("/v1/models", MODEL)));
            assertEquals(DEPLOYMENT, m.get("deployment"), m.toString());
        });
        assertEquals("Pending", listed("/v1/models", LEGACY_MODEL).orElseThrow().get("state"));

        // 3. the official SDK through the proxy that follows this registry
        ChatCompletion completion = await().atMost(WAIT).ignoreExceptions().until(
                () -> openai.chat().completions().create(ChatCompletionCreateParams.builder().model(MODEL)
                        .addUserMessage("Hello through SambaStack").maxCompletionTokens(8).build()),
                c -> c != null);
        assertEquals(MODEL, completion.model());
        assertFalse(completion.choices().get(0).message().content().orElse("").isBlank(), completion.toString());

        // 4. a playground turn through the chat-service that follows this registry and proxy
        assertThat(page.locator("#models-empty")).isHidden();
        Ui.chat(page, MODEL, "Hello from the playground through SambaStack");
        Ui.awaitAnswerEnd(page);
        assertFalse(Ui.lastAnswer(page).innerText().isBlank());
        page.context().close();
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
