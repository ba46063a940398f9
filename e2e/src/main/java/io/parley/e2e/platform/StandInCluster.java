package io.parley.e2e.platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * A stand-in for a SambaStack cluster, for {@code make run} and the end-to-end tests: fabric8's
 * {@link KubernetesMockServer} in CRUD mode on 127.0.0.1 (its own JVM, started and stopped by PID by
 * {@link LocalPlatform}), the CRDs of {@code k8s/crds}, the SambaStack objects of {@code stand-in/sambastack.yaml}
 * (both generations) and a {@link StandInOperator} that makes their StatefulSets and pods the way SambaStack's
 * inference operator names them and turns them ready after a delay. It writes a kubeconfig for the registry, which
 * runs with {@code source=kubernetes} against it as against a real API server, and creates the ConfigMap
 * {@value #READY_CONFIG_MAP} once everything is loaded (what {@link LocalPlatform} waits for).
 * <p>
 * Where the mock server is not a real API server, and what that means here:
 * <ul>
 * <li>No controllers: no scheduler, kubelet or garbage collector. The stand-in operator writes pod status itself and
 * deletes the StatefulSets and pods of a deleted deployment itself (a real cluster would collect them through their
 * owner references).</li>
 * <li>A JSON merge patch appends to lists instead of replacing them: the operator replaces whole objects (PUT) and
 * never merge-patches a list such as {@code status.conditions}.</li>
 * <li>A watch from an unknown or too old {@code resourceVersion} is not answered with 410 Gone, so the registry's
 * re-list after a watch outage is not exercised against this server (the registry's own tests cover it).</li>
 * <li>No authentication or RBAC: the kubeconfig carries no credentials, and any client may write.</li>
 * <li>Requests are recorded in memory by the mock server; the operator drains that record so a long
 * {@code make run} does not grow.</li>
 * </ul>
 */
public final class StandInCluster implements AutoCloseable {

    /** The namespace the stand-in's objects live in unless told otherwise. */
    public static final String DEFAULT_NAMESPACE = "sambastack";
    /** Present in the namespace once the CRDs and the objects are loaded. */
    public static final String READY_CONFIG_MAP = "parley-stand-in";
    /** Classpath resource with the SambaStack objects the stand-in starts with. */
    static final String OBJECTS = "/stand-in/sambastack.yaml";

    /** The mock server logs every request at INFO: kept here (a logger only weakly held forgets its level). */
    private static final Logger QUIET = Logger.getLogger("io.fabric8.mockwebserver");

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final String namespace;
    private final StandInOperator operator;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "stand-in-operator");
        t.setDaemon(true);
        return t;
    });

    private StandInCluster(KubernetesMockServer server, String namespace, Duration readyAfter) {
        this.server = server;
        this.client = server.createClient();
        this.namespace = namespace;
        this.operator = new StandInOperator(client, namespace, readyAfter);
    }

    /**
     * Starts the mock API server on 127.0.0.1:{@code port} (0: any free port), installs the CRDs found in
     * {@code crds} (every {@code .yml}/{@code .yaml} file), loads the stand-in's SambaStack objects into
     * {@code namespace} and starts the operator.
     *
     * @param kubeconfig where to write the kubeconfig of this server (before {@value #READY_CONFIG_MAP} exists)
     * @param readyAfter how long the operator keeps new pods not ready; {@code null}: until a deployment's
     *        {@value StandInOperator#READY_AFTER_ANNOTATION} annotation says otherwise
     */
    public static StandInCluster start(int port, Path crds, String namespace, Duration readyAfter, Path kubeconfig) {
        QUIET.setLevel(Level.WARNING);
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), port);
        StandInCluster cluster = new StandInCluster(server, namespace, readyAfter);
        try {
            cluster.load(crds);
            cluster.writeKubeconfig(kubeconfig);
            cluster.markLoaded();
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        cluster.loop.scheduleWithFixedDelay(cluster::tick, 0, 250, TimeUnit.MILLISECONDS);
        return cluster;
    }

    private void load(Path crds) {
        try (Stream<Path> files = Files.list(crds)) {
            for (Path file : files.filter(StandInCluster::yaml).sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    for (HasMetadata o : client.load(in).items()) {
                        if (o instanceof CustomResourceDefinition crd) {
                            client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the CRDs in " + crds, e);
        }
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata()
                .build()).create();
        try (InputStream in = StandInCluster.class.getResourceAsStream(OBJECTS)) {
            if (in == null) {
                throw new IllegalStateException(OBJECTS + " missing from the classpath");
            }
            for (HasMetadata o : client.load(in).items()) {
                create((GenericKubernetesResource) o);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void markLoaded() {
        client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata()
                .withName(READY_CONFIG_MAP).endMetadata()
                .addToData("description", "Parley's stand-in cluster (a mock API server, not SambaStack): loaded")
                .build()).create();
    }

    /** Creates one SambaStack object (any {@code sambanova.ai} kind) in the stand-in's namespace. */
    public GenericKubernetesResource create(GenericKubernetesResource object) {
        object.getMetadata().setNamespace(namespace);
        return client.genericKubernetesResources(context(object.getApiVersion(), object.getKind()))
                .inNamespace(namespace).resource(object).create();
    }

    /** The plural of a SambaStack kind is its lower-case name plus {@code s} (modeldeployments, models, ...). */
    static ResourceDefinitionContext context(String apiVersion, String kind) {
        int slash = apiVersion.indexOf('/');
        return new ResourceDefinitionContext.Builder().withGroup(apiVersion.substring(0, slash))
                .withVersion(apiVersion.substring(slash + 1)).withKind(kind)
                .withPlural(kind.toLowerCase() + "s").withNamespaced(true).build();
    }

    private void tick() {
        try {
            operator.reconcile();
        } catch (RuntimeException e) {
            say("operator: " + e);
        }
        try {
            while (server.takeRequest(0, TimeUnit.MILLISECONDS) != null) {
                // drained: nobody reads the mock server's request record here
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public int port() {
        return server.getPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    public String namespace() {
        return namespace;
    }

    /** A client of the stand-in's API server (tests change objects through it as a user of the cluster would). */
    public KubernetesClient client() {
        return client;
    }

    /** A kubeconfig with one context: this server, this namespace, no credentials (the mock server checks none). */
    public String kubeconfig() {
        return """
                # Parley's stand-in cluster (io.parley.e2e.platform.StandInCluster): a mock API server, not SambaStack
                apiVersion: v1
                kind: Config
                clusters:
                  - name: parley-stand-in
                    cluster:
                      server: %s
                contexts:
                  - name: parley-stand-in
                    context:
                      cluster: parley-stand-in
                      namespace: %s
                      user: parley-stand-in
                current-context: parley-stand-in
                users:
                  - name: parley-stand-in
                    user: {}
                """.formatted(url(), namespace);
    }

    /** Writes {@link #kubeconfig()} to {@code file} (atomically: a reader never sees half of it). */
    public void writeKubeconfig(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path partial = file.resolveSibling(file.getFileName() + ".partial");
            Files.writeString(partial, kubeconfig());
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        loop.shutdownNow();
        client.close();
        server.destroy();
    }

    private static boolean yaml(Path p) {
        String name = p.getFileName().toString();
        return name.endsWith(".yml") || name.endsWith(".yaml");
    }

    /**
     * {@code StandInCluster --port N --crds DIR --kubeconfig FILE [--namespace NS] [--ready-after 20s|never]
     * [--parent-pid PID]}: runs until SIGTERM, or until the process {@code --parent-pid} has gone (nothing outlives
     * the platform that started it).
     */
    public static void main(String[] args) throws InterruptedException {
        int port = 0;
        Path crds = null;
        Path kubeconfig = null;
        String namespace = DEFAULT_NAMESPACE;
        Duration readyAfter = Duration.ofSeconds(20);
        long parent = -1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--crds" -> crds = Path.of(args[++i]);
                case "--kubeconfig" -> kubeconfig = Path.of(args[++i]);
                case "--namespace" -> namespace = args[++i];
                case "--ready-after" -> readyAfter = StandInOperator.duration(args[++i]).orElse(null);
                case "--parent-pid" -> parent = Long.parseLong(args[++i]);
                default -> usage();
            }
        }
        if (crds == null || kubeconfig == null) {
            usage();
        }
        StandInCluster cluster = start(port, crds, namespace, readyAfter, kubeconfig);
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "stand-in-shutdown"));
        say("stand-in cluster on " + cluster.url() + ", namespace " + namespace + ", pods ready after "
                + (readyAfter == null ? "never (until annotated)" : readyAfter.toSeconds() + " s") + "; kubeconfig "
                + kubeconfig);
        CountDownLatch forever = new CountDownLatch(1);
        if (parent > 0) {
            long watched = parent;
            ProcessHandle.of(watched).ifPresentOrElse(h -> h.onExit().thenRun(() -> {
                say("parent process " + watched + " has gone: stopping");
                System.exit(0);
            }), () -> System.exit(0));
        }
        forever.await();
    }

    private static void usage() {
        System.err.println("usage: StandInCluster --port N --crds DIR --kubeconfig FILE [--namespace NS] "
                + "[--ready-after 20s|never] [--parent-pid PID]");
        System.exit(2);
    }

    static void say(String message) {
        System.out.println("[stand-in " + LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] "
                + message);
        System.out.flush();
    }

    /** Objects of one kind in the namespace, for the operator and tests. */
    List<GenericKubernetesResource> list(String kind) {
        return new ArrayList<>(client.genericKubernetesResources(context("sambanova.ai/v1alpha1", kind))
                .inNamespace(namespace).list().getItems());
    }
}
