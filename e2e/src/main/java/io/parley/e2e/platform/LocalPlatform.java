package io.parley.e2e.platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * Starts the whole Parley platform on one machine without Docker or a cluster (design §7): one embedded PostgreSQL,
 * Keycloak from its Maven Central distribution with the realm of {@code config/keycloak/parley-realm.json}, the model
 * simulator, and the four services as packaged jars, each bound to 127.0.0.1 on the ports of a {@link PortPlan}.
 * <p>
 * Everything it writes (PostgreSQL and Keycloak data, a private copy of the Keycloak distribution, one log file per
 * process under {@code logs/}) lives in one data directory, so data survives a restart. {@link #stop()} ends every
 * process it started, process trees included. {@code make run} runs {@link #main(String[])}; the end-to-end tests use
 * {@link #start()} and {@link #stop()} with {@link PortPlan#e2e()} and a data directory of their own.
 */
public final class LocalPlatform implements AutoCloseable {

    /** Realm name, as in the realm file. */
    public static final String REALM = "parley";
    /** DEV ONLY: the secrets of the confidential clients in the realm file. Production takes them from the env. */
    public static final String WEB_CLIENT_SECRET = "parley-web-dev-secret";
    public static final String PROXY_CLIENT_SECRET = "parley-proxy-dev-secret";

    public static final String SIMULATOR = "model-simulator";
    public static final String REGISTRY = "model-registry-service";
    public static final String USAGE = "usage-service";
    public static final String PROXY = "inference-proxy-service";
    public static final String CHAT = "chat-service";
    /** Keycloak's process name, for {@link #stopProcess(String)} and {@link #restartProcess(String)}. */
    public static final String KEYCLOAK = "keycloak";

    static final List<String> SERVICES = List.of(SIMULATOR, REGISTRY, USAGE, PROXY, CHAT);

    private static final Duration KEYCLOAK_START_TIMEOUT = Duration.ofMinutes(6);
    private static final Duration SERVICE_START_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final Path root;
    private final Path dataDir;
    private final PortPlan ports;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<ManagedProcess> processes = Collections.synchronizedList(new ArrayList<>());
    /** How to start each process again ({@link #restartProcess(String)}), with the URL that answers 200 when ready. */
    private final Map<String, Restart> restarts = Collections.synchronizedMap(new LinkedHashMap<>());
    private PlatformDatabase database;
    private volatile boolean stopping;
    private Cluster cluster = Cluster.NONE;
    private Fixtures fixtures = Fixtures.NONE;

    /**
     * @param root the repository root (holds the modules' {@code target/quarkus-app} and {@code config/keycloak})
     * @param dataDir where data and logs go; created if missing, reused if present
     * @param ports the ports to listen on
     */
    public LocalPlatform(Path root, Path dataDir, PortPlan ports) {
        this.root = root.toAbsolutePath().normalize();
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.ports = ports;
    }

    /** {@code make run}: starts the platform with the §8 ports and data under {@code .local/}, until Ctrl-C. */
    public static void main(String[] args) throws InterruptedException {
        Path root = Path.of(System.getProperty("parley.root", "")).toAbsolutePath();
        Path data = root.resolve(".local");
        PortPlan ports = PortPlan.local();
        Cluster cluster = Cluster.STAND_IN;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--port-offset" -> ports = ports.shiftedBy(Integer.parseInt(args[++i]));
                case "--cluster" -> cluster = Cluster.parse(args[++i]);
                default -> {
                    System.err.println("usage: LocalPlatform [--data DIR] [--port-offset N] "
                            + "[--cluster stand-in|kubeconfig|none]");
                    System.exit(2);
                }
            }
        }
        LocalPlatform platform = new LocalPlatform(root, data, ports).withCluster(cluster);
        Runtime.getRuntime().addShutdownHook(new Thread(platform::stop, "parley-shutdown"));
        try {
            platform.start();
        } catch (RuntimeException e) {
            System.err.println();
            System.err.println("Parley did not start: " + e.getMessage());
            platform.stop();
            System.exit(1);
        }
        platform.printBanner();
        new CountDownLatch(1).await();
    }

    /** Starts everything and returns once every service answers ready; on failure stops what it started and throws. */
    public synchronized void start() {
        stopping = false;
        try {
            checkBuilt();
            checkPortsFree();
            Files.createDirectories(logs());
            Instant begin = Instant.now();
            say("data and logs in " + dataDir);
            say("starting PostgreSQL on 127.0.0.1:" + ports.postgres());
            database = PlatformDatabase.start(dataDir.resolve("postgres"), ports.postgres(), logs().resolve("postgres.log"));

            say("starting Keycloak on " + keycloakUrl() + " (the first start takes about a minute)");
            ManagedProcess keycloak = startKeycloak();
            Map<String, String> simulatorEnv = new LinkedHashMap<>();
            Map<String, String> registryEnv = new LinkedHashMap<>();
            registryEnv.put("PARLEY_SIMULATOR_URL", simulatorUrl());
            Map<String, String> proxyEnv = new LinkedHashMap<>();
            proxyEnv.put("PARLEY_DB_URL", database.jdbcUrl("parley_proxy"));
            proxyEnv.put("PARLEY_PROXY_CLIENT_SECRET", PROXY_CLIENT_SECRET);
            proxyEnv.putAll(generousCallLimits());
            fixtures.configure(this, SIMULATOR, simulatorEnv);
            fixtures.configure(this, REGISTRY, registryEnv);
            fixtures.configure(this, PROXY, proxyEnv);
            addConfig(simulatorEnv, writeConfig("simulator-stand-in-models.properties", STAND_IN_SIMULATOR_MODELS));
            configureCluster(registryEnv);
            ManagedProcess simulator = startService(SIMULATOR, ports.simulator(), simulatorEnv, "/health");
            awaitReady(keycloak, issuerUrl() + "/.well-known/openid-configuration", KEYCLOAK_START_TIMEOUT);
            awaitReady(simulator, simulatorUrl() + "/health", SERVICE_START_TIMEOUT);
            fixtures.start(this);

            ManagedProcess registry = startService(REGISTRY, ports.registry(), registryEnv, "/q/health/ready");
            ManagedProcess usage = startService(USAGE, ports.usage(), Map.of(
                    "PARLEY_DB_URL", database.jdbcUrl("parley_usage")), "/q/health/ready");
            awaitReady(registry, registryUrl() + "/q/health/ready", SERVICE_START_TIMEOUT);
            awaitReady(usage, usageUrl() + "/q/health/ready", SERVICE_START_TIMEOUT);

            ManagedProcess proxy = startService(PROXY, ports.proxy(), proxyEnv, "/q/health/ready");
            ManagedProcess chat = startService(CHAT, ports.chat(), Map.of(
                    "PARLEY_DB_URL", database.jdbcUrl("parley_chat"),
                    "PARLEY_WEB_CLIENT_SECRET", WEB_CLIENT_SECRET), "/q/health/ready");
            awaitReady(proxy, proxyUrl() + "/q/health/ready", SERVICE_START_TIMEOUT);
            awaitReady(chat, chatUrl() + "/q/health/ready", SERVICE_START_TIMEOUT);
            say("all up in " + Duration.between(begin, Instant.now()).toSeconds() + " s");
        } catch (RuntimeException | IOException e) {
            stop();
            if (e instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            throw (RuntimeException) e;
        }
    }

    /** Stops every process this platform started (children of children too) and PostgreSQL. Idempotent. */
    public void stop() {
        List<ManagedProcess> running;
        synchronized (processes) {
            if (stopping && processes.isEmpty() && database == null) {
                return;
            }
            stopping = true;
            running = new ArrayList<>(processes);
            processes.clear();
        }
        if (!running.isEmpty()) {
            say("stopping " + running.stream().map(ManagedProcess::name).toList());
        }
        CompletableFuture.allOf(running.stream()
                .map(process -> CompletableFuture.runAsync(() -> process.stop(STOP_GRACE)))
                .toArray(CompletableFuture[]::new)).join();
        PlatformDatabase db = database;
        database = null;
        if (db != null) {
            db.close();
        }
        if (!running.isEmpty()) {
            say("stopped");
        }
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Stops one process of the running platform (SIGTERM, then kill after the grace period), for tests of a peer
     * being down; {@link #restartProcess(String)} starts it again with the same environment.
     *
     * @param name a module name such as {@link #USAGE}
     */
    public void stopProcess(String name) {
        ManagedProcess process;
        synchronized (processes) {
            process = processes.stream().filter(p -> p.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalStateException(name + " is not running"));
            processes.remove(process);
        }
        say("stopping " + name + " on purpose");
        process.stop(STOP_GRACE);
    }

    /** Starts a process stopped by {@link #stopProcess(String)} again and returns once it answers ready. */
    public void restartProcess(String name) {
        ManagedProcess process = spawn(name);
        Restart restart = restarts.get(name);
        awaitReady(process, restart.readyUrl(), name.equals(KEYCLOAK) ? KEYCLOAK_START_TIMEOUT : SERVICE_START_TIMEOUT);
    }

    /**
     * Starts a stopped process again with the same environment and returns at once, without waiting for it to be
     * ready: for tests of a service started while one of its dependencies is down (it may never become ready then).
     */
    public void startProcess(String name) {
        spawn(name);
    }

    private ManagedProcess spawn(String name) {
        Restart restart = restarts.get(name);
        if (restart == null) {
            throw new IllegalStateException("unknown process " + name);
        }
        synchronized (processes) {
            if (processes.stream().anyMatch(p -> p.name().equals(name))) {
                throw new IllegalStateException(name + " is still running");
            }
        }
        say("starting " + name + " again");
        return track(ManagedProcess.start(name, restart.command(), restart.env(), restart.workDir(), logFile(name)));
    }

    /**
     * Kills one process of the running platform at once (SIGKILL to it and its descendants, no shutdown hooks), as a
     * node failure or an OOM kill would; {@link #restartProcess(String)} starts it again with the same environment.
     */
    public void killProcess(String name) {
        ManagedProcess process = untrack(name);
        say("killing " + name + " (SIGKILL) on purpose");
        process.kill();
    }

    /**
     * Sends SIGTERM to one process of the running platform and returns at once, as the kubelet does when a pod is
     * deleted; the future completes with the exit code. The process is no longer tracked, so
     * {@link #restartProcess(String)} may start it again once it has exited.
     */
    public CompletableFuture<Integer> terminateProcess(String name) {
        ManagedProcess process = untrack(name);
        say("sending SIGTERM to " + name + " on purpose");
        return process.terminate();
    }

    /** Whether a process of the platform is running: tests that kill or stop one bring it back for the next. */
    public boolean isRunning(String name) {
        synchronized (processes) {
            return processes.stream().anyMatch(p -> p.name().equals(name) && p.isAlive());
        }
    }

    /** Whether PostgreSQL runs, that is it was not stopped by {@link #stopDatabase()} (or started again since). */
    public synchronized boolean databaseRunning() {
        return database != null;
    }

    /** The PID of one running process of the platform (for tests that watch it from outside). */
    public long pid(String name) {
        synchronized (processes) {
            return processes.stream().filter(p -> p.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalStateException(name + " is not running")).pid();
        }
    }

    /**
     * Starts another chat-service process ({@code name}, for example {@code chat-service-b}) on {@code port} with the
     * same database, identity provider and peers as {@link #CHAT}: a second replica behind the same Service. Returns
     * once it answers ready; stopped with the platform, and by {@link #stopProcess}/{@link #killProcess}.
     */
    public void startChatReplica(String name, int port) {
        startServiceCopy(name, CHAT, port, Map.of());
    }

    /**
     * Stops the platform's PostgreSQL (fast shutdown: open connections are cut, as in a database restart or
     * failover); {@link #startDatabase()} brings it back on the same port with the same data.
     */
    public synchronized void stopDatabase() {
        PlatformDatabase db = database;
        if (db == null) {
            throw new IllegalStateException("PostgreSQL is not running");
        }
        database = null;
        say("stopping PostgreSQL on purpose");
        db.close();
    }

    /** Starts PostgreSQL again after {@link #stopDatabase()}, same port and data directory; returns once it accepts. */
    public synchronized void startDatabase() {
        if (database != null) {
            throw new IllegalStateException("PostgreSQL is already running");
        }
        say("starting PostgreSQL again on 127.0.0.1:" + ports.postgres());
        database = PlatformDatabase.start(dataDir.resolve("postgres"), ports.postgres(), logs().resolve("postgres.log"));
    }

    /** A JDBC URL of one of the platform's databases ({@code parley_chat}, {@code parley_proxy}, {@code parley_usage}). */
    public String jdbcUrl(String databaseName) {
        return "jdbc:postgresql://127.0.0.1:" + ports.postgres() + "/" + databaseName;
    }

    private ManagedProcess untrack(String name) {
        synchronized (processes) {
            ManagedProcess process = processes.stream().filter(p -> p.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalStateException(name + " is not running"));
            processes.remove(process);
            return process;
        }
    }

    /**
     * What a caller adds to the platform it starts: the e2e suite's fault models and second simulator
     * ({@code io.parley.e2e.FaultFixtures}); {@code make run} adds nothing. Called by {@link #start()} in this order:
     * {@link #ports}, {@link #configure} (each service before it first starts), {@link #start(LocalPlatform)} (once
     * Keycloak and the simulator are ready, before the registry starts).
     */
    public interface Fixtures {

        /** Adds nothing. */
        Fixtures NONE = new Fixtures() {
        };

        /** Ports the fixtures listen on or keep free, by what for: checked free before anything starts. */
        default Map<String, Integer> ports(LocalPlatform platform) {
            return Map.of();
        }

        /** Adds to the environment of {@code process} ({@link #SIMULATOR}, {@link #REGISTRY}, {@link #PROXY}). */
        default void configure(LocalPlatform platform, String process, Map<String, String> env) throws IOException {
        }

        /** Starts the fixtures' own processes; returns once they are ready. */
        default void start(LocalPlatform platform) throws IOException {
        }
    }

    /** What {@link #start()} adds to the platform; {@link Fixtures#NONE} unless set. */
    public LocalPlatform withFixtures(Fixtures fixtures) {
        this.fixtures = fixtures;
        return this;
    }

    /**
     * Starts the jar of {@code module} as another process {@code name} on {@code port} with the platform's base
     * environment plus {@code env} (not the environment {@code module} itself runs with: compare
     * {@link #startServiceCopy}), and returns once {@code readyPath} answers 200. Stopped with the platform.
     */
    public void startModule(String name, String module, int port, Map<String, String> env, String readyPath) {
        ManagedProcess process = startService(name, module, port, env, readyPath);
        awaitReady(process, "http://127.0.0.1:" + port + readyPath, SERVICE_START_TIMEOUT);
    }

    /** Where the registry finds SambaStack deployments, besides its static endpoints. */
    public enum Cluster {
        /** Static endpoints only (the e2e platform; tests start a stand-in of their own). */
        NONE,
        /** {@code make run}'s default: the {@link StandInCluster}, a mock API server with SambaStack's kinds. */
        STAND_IN,
        /**
         * The cluster of {@code KUBECONFIG} (else {@code ~/.kube/config}), read only: the registry only gets, lists
         * and watches, and nothing here writes to it.
         */
        KUBECONFIG;

        static Cluster parse(String text) {
            return switch (text) {
                case "stand-in", "standin" -> STAND_IN;
                case "kubeconfig" -> KUBECONFIG;
                case "none", "" -> NONE;
                default -> throw new IllegalArgumentException("--cluster: stand-in, kubeconfig or none, not " + text);
            };
        }
    }

    /** The stand-in cluster's process name. */
    public static final String STAND_IN_CLUSTER = "stand-in-cluster";
    /** The serving name of the stand-in's ModelDeployment (a Model's {@code spec.name}); the simulator serves it. */
    public static final String STAND_IN_MODEL = "Meta-Llama-3.3-70B-Instruct";
    /** The serving name of the stand-in's BundleDeployment (a key of its Bundle's {@code spec.models}). */
    public static final String STAND_IN_LEGACY_MODEL = "Meta-Llama-3.1-8B-Instruct";

    /** Which cluster {@link #start()} has the registry read; {@link Cluster#NONE} unless set. */
    public LocalPlatform withCluster(Cluster cluster) {
        this.cluster = cluster;
        return this;
    }

    /** Starts the stand-in cluster if asked, and points the registry's environment at the chosen cluster. */
    private void configureCluster(Map<String, String> registryEnv) throws IOException {
        switch (cluster) {
            case NONE -> {
            }
            case STAND_IN -> {
                Path kubeconfig = startStandInCluster(STAND_IN_CLUSTER, standInClusterPort(), "20s");
                Map<String, String> env = standInRegistryEnv(kubeconfig);
                addConfig(registryEnv, env.remove("QUARKUS_CONFIG_LOCATIONS"));
                registryEnv.putAll(env);
                registryEnv.put("PARLEY_REGISTRY_SOURCE", "kubernetes,static");
            }
            case KUBECONFIG -> {
                String file = System.getenv("KUBECONFIG");
                say("the registry reads the cluster of " + (file == null ? "~/.kube/config" : "KUBECONFIG=" + file)
                        + " read-only (get, list and watch only)");
                registryEnv.put("PARLEY_REGISTRY_SOURCE", "kubernetes,static");
                registryEnv.putAll(ownClusterTrust());
            }
        }
    }

    /**
     * On a developer's machine reading their own cluster, every deployment's {@code parley.io/endpoint} annotation is
     * honoured (the upstream must be reachable from the machine, so it is rarely a cluster Service URL); in a cluster
     * the chart's allow-lists apply (issue 15).
     */
    static Map<String, String> ownClusterTrust() {
        return Map.of("PARLEY_REGISTRY_KUBERNETES_ENDPOINTS_ANNOTATION_NAMESPACES", "*",
                "PARLEY_REGISTRY_KUBERNETES_ENDPOINTS_ANNOTATION_URLS", "http://*,http://*/*,https://*,https://*/*");
    }

    /**
     * Starts a {@link StandInCluster} as process {@code name} on 127.0.0.1:{@code port} (its own JVM, stopped with
     * the platform or by {@link #stopProcess(String)}, and by itself when this JVM is gone), its pods ready after
     * {@code readyAfter} ({@code 20s}, {@code never}: until a deployment's
     * {@value StandInOperator#READY_AFTER_ANNOTATION} annotation says so). Returns its kubeconfig once it has
     * loaded its objects.
     */
    public Path startStandInCluster(String name, int port, String readyAfter) throws IOException {
        Path workDir = Files.createDirectories(dataDir.resolve("work").resolve(name));
        Path kubeconfig = workDir.resolve("kubeconfig");
        Files.deleteIfExists(kubeconfig);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Xms16m", "-Xmx256m", "-XX:+UseSerialGC", "-cp", absoluteClassPath(),
                StandInCluster.class.getName(), "--port", Integer.toString(port),
                "--crds", root.resolve("k8s/crds").toString(), "--kubeconfig", kubeconfig.toString(),
                "--namespace", StandInCluster.DEFAULT_NAMESPACE, "--ready-after", readyAfter,
                "--parent-pid", Long.toString(ProcessHandle.current().pid()));
        String readyUrl = "http://127.0.0.1:" + port + "/api/v1/namespaces/" + StandInCluster.DEFAULT_NAMESPACE
                + "/configmaps/" + StandInCluster.READY_CONFIG_MAP;
        restarts.put(name, new Restart(command, Map.of(), workDir, readyUrl));
        say("starting " + name + " on 127.0.0.1:" + port + " (a stand-in: a mock API server with SambaStack's "
                + "kinds, not a real cluster)");
        ManagedProcess process = track(ManagedProcess.start(name, command, Map.of(), workDir, logFile(name)));
        awaitReady(process, readyUrl, SERVICE_START_TIMEOUT);
        return kubeconfig;
    }

    /**
     * The environment of a registry that reads only the stand-in cluster of {@code kubeconfig}: {@code
     * source=kubernetes}, the stand-in's namespace, and the simulator as that namespace's gateway (as SambaStack's
     * API gateway serves every deployment of an installation).
     */
    public Map<String, String> standInRegistryEnv(Path kubeconfig) throws IOException {
        String ns = StandInCluster.DEFAULT_NAMESPACE;
        Path config = writeConfig("registry-stand-in.properties", """
                # the stand-in cluster's namespace is served through one gateway: the local simulator
                parley.registry.kubernetes.endpoints.gateways.%s=%s
                """.formatted(ns, simulatorUrl()));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PARLEY_REGISTRY_SOURCE", "kubernetes");
        env.put("KUBECONFIG", kubeconfig.toString());
        env.put("PARLEY_REGISTRY_NAMESPACES", ns);
        env.put("QUARKUS_CONFIG_LOCATIONS", config.toString());
        return env;
    }

    /**
     * Starts another process of {@code module} as {@code name} on {@code port}, with the environment {@code module}
     * runs with in this platform plus {@code env} (a registry on another source, a proxy or chat-service on another
     * registry). Returns once it answers ready; stopped with the platform and by {@link #stopProcess(String)}.
     */
    public void startServiceCopy(String name, String module, int port, Map<String, String> env) {
        Restart of = restarts.get(module);
        if (of == null) {
            throw new IllegalStateException(module + " was not started by this platform");
        }
        Map<String, String> copy = new LinkedHashMap<>(of.env());
        copy.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        copy.putAll(managementEnv(port));
        copy.putAll(env);
        Path workDir = dataDir.resolve("work").resolve(name);
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String readyUrl = "http://127.0.0.1:" + port + "/q/health/ready";
        restarts.put(name, new Restart(of.command(), Map.copyOf(copy), workDir, readyUrl));
        say("starting " + name + " (" + module + ") on 127.0.0.1:" + port);
        ManagedProcess process = track(ManagedProcess.start(name, of.command(), copy, workDir, logFile(name)));
        awaitReady(process, readyUrl, SERVICE_START_TIMEOUT);
    }

    /**
     * The proxy's per-user and per-key call limits on this platform: the soak and the benchmarks run hundreds of
     * concurrent streams and thousands of calls a minute as one user (the defaults are 32 in flight, 600 a minute).
     */
    private static Map<String, String> generousCallLimits() {
        return Map.of("PARLEY_PROXY_LIMITS_USER_REQUESTS_PER_MINUTE", "1000000",
                "PARLEY_PROXY_LIMITS_USER_MAX_CONCURRENT", "4096",
                "PARLEY_PROXY_LIMITS_API_KEY_REQUESTS_PER_MINUTE", "1000000",
                "PARLEY_PROXY_LIMITS_API_KEY_MAX_CONCURRENT", "4096");
    }

    /** The port of {@link #STAND_IN_CLUSTER} in {@code make run} (8095; e2e tests choose their own). */
    private int standInClusterPort() {
        return ports.simulator() + 5;
    }

    /** This JVM's class path with absolute entries, for a child JVM that runs in another directory. */
    private static String absoluteClassPath() {
        return Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(entry -> !entry.isBlank())
                .map(entry -> Path.of(entry).toAbsolutePath().normalize().toString())
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    /** Adds a config file to a process's {@code QUARKUS_CONFIG_LOCATIONS} (comma-separated, later files win). */
    public static void addConfig(Map<String, String> env, Object file) {
        if (file == null) {
            return;
        }
        env.merge("QUARKUS_CONFIG_LOCATIONS", file.toString(), (a, b) -> a + "," + b);
    }

    /** The models of the stand-in cluster's Model and Bundle, served by the simulator like its demo models. */
    private static final String STAND_IN_SIMULATOR_MODELS = """
            # the serving names of the stand-in cluster's deployments (LocalPlatform, StandInCluster)
            simulator.models."Meta-Llama-3.3-70B-Instruct".output=lorem
            simulator.models."Meta-Llama-3.3-70B-Instruct".max-model-len=8192
            simulator.models."Meta-Llama-3.3-70B-Instruct".ttft=50ms
            simulator.models."Meta-Llama-3.3-70B-Instruct".inter-token-latency=10ms
            simulator.models."Meta-Llama-3.3-70B-Instruct".default-max-tokens=40
            simulator.models."Meta-Llama-3.1-8B-Instruct".output=lorem
            simulator.models."Meta-Llama-3.1-8B-Instruct".max-model-len=8192
            simulator.models."Meta-Llama-3.1-8B-Instruct".ttft=50ms
            simulator.models."Meta-Llama-3.1-8B-Instruct".inter-token-latency=10ms
            simulator.models."Meta-Llama-3.1-8B-Instruct".default-max-tokens=40
            """;

    /** Writes a config file for a process into the data directory's {@code config/} and returns its path. */
    public Path writeConfig(String fileName, String content) throws IOException {
        Path dir = Files.createDirectories(dataDir.resolve("config"));
        return Files.writeString(dir.resolve(fileName), content);
    }

    private record Restart(List<String> command, Map<String, String> env, Path workDir, String readyUrl) {
    }

    public PortPlan ports() {
        return ports;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The log file of one process: {@code postgres}, {@code keycloak} or a module name such as {@code chat-service}. */
    public Path logFile(String name) {
        return logs().resolve(name + ".log");
    }

    public String chatUrl() {
        return "http://localhost:" + ports.chat();
    }

    public String registryUrl() {
        return "http://127.0.0.1:" + ports.registry();
    }

    public String proxyUrl() {
        return "http://127.0.0.1:" + ports.proxy();
    }

    public String usageUrl() {
        return "http://127.0.0.1:" + ports.usage();
    }

    /**
     * The management port of a service on {@code httpPort}: {@code httpPort + 1000} (the proxy of {@code make run}:
     * 9082). It serves {@code /q/metrics} and {@code /q/openapi}; {@code /q/health} stays on the HTTP port.
     */
    public static int managementPort(int httpPort) {
        return httpPort + 1000;
    }

    /** The proxy's management interface: {@code /q/metrics}. */
    public String proxyManagementUrl() {
        return "http://127.0.0.1:" + managementPort(ports.proxy());
    }

    private static Map<String, String> managementEnv(int httpPort) {
        return Map.of("QUARKUS_MANAGEMENT_HOST", "127.0.0.1", "QUARKUS_MANAGEMENT_PORT",
                Integer.toString(managementPort(httpPort)));
    }

    public String simulatorUrl() {
        return "http://127.0.0.1:" + ports.simulator();
    }

    /** Keycloak's base URL. Browser, services and tests all use the host name {@code localhost}: it is in the issuer. */
    public String keycloakUrl() {
        return "http://localhost:" + ports.keycloak();
    }

    /** The realm's issuer, {@code PARLEY_OIDC_URL}. */
    public String issuerUrl() {
        return keycloakUrl() + "/realms/" + REALM;
    }

    public String tokenUrl() {
        return issuerUrl() + "/protocol/openid-connect/token";
    }

    private Path logs() {
        return dataDir.resolve("logs");
    }

    private Path jar(String module) {
        return root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    private void checkBuilt() {
        List<String> missing = SERVICES.stream().filter(module -> !Files.isRegularFile(jar(module))).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("not built: " + missing + " (run `mvn -B -DskipTests package` in " + root
                    + ")");
        }
        keycloakDistribution();
        if (!Files.isRegularFile(realmFile())) {
            throw new IllegalStateException("realm file missing: " + realmFile());
        }
    }

    /** Fails fast, naming the port, when something (often a previous run) already listens on one of ours. */
    private void checkPortsFree() {
        Map<String, Integer> wanted = new LinkedHashMap<>();
        wanted.put("PostgreSQL", ports.postgres());
        wanted.put("Keycloak", ports.keycloak());
        wanted.put("Keycloak management", ports.keycloak() + 10);
        wanted.put(SIMULATOR, ports.simulator());
        wanted.put(REGISTRY, ports.registry());
        wanted.put(USAGE, ports.usage());
        wanted.put(PROXY, ports.proxy());
        wanted.put(CHAT, ports.chat());
        for (int port : List.of(ports.registry(), ports.usage(), ports.proxy(), ports.chat())) {
            wanted.put("the management interface on " + managementPort(port), managementPort(port));
        }
        if (cluster == Cluster.STAND_IN) {
            wanted.put(STAND_IN_CLUSTER, standInClusterPort());
        }
        wanted.putAll(fixtures.ports(this));
        List<String> busy = new ArrayList<>();
        wanted.forEach((name, port) -> {
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0.1", port));
            } catch (IOException e) {
                busy.add(name + " " + port);
            }
        });
        if (!busy.isEmpty()) {
            throw new IllegalStateException("ports already in use: " + busy + " (is another `make run` or test run "
                    + "still up?)");
        }
    }

    private Path realmFile() {
        return root.resolve("config/keycloak/parley-realm.json");
    }

    /** The distribution the e2e build unpacked ({@code e2e/target/keycloak/keycloak-<version>}). */
    private Path keycloakDistribution() {
        Path unpacked = root.resolve("e2e/target/keycloak");
        try (Stream<Path> entries = Files.isDirectory(unpacked) ? Files.list(unpacked) : Stream.empty()) {
            return entries.filter(dir -> dir.getFileName().toString().startsWith("keycloak-"))
                    .filter(dir -> Files.isRegularFile(dir.resolve("bin/kc.sh")))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("Keycloak distribution missing under " + unpacked
                            + " (run `mvn -B -DskipTests package -pl e2e`)"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Keycloak runs from a private copy of the distribution inside the data directory: its H2 database
     * ({@code data/h2}) then persists with the rest of the data, and {@code start-dev}'s re-augmentation never
     * touches a copy that another platform instance (tests next to {@code make run}) is using.
     */
    private ManagedProcess startKeycloak() throws IOException {
        Path distribution = keycloakDistribution();
        Path home = dataDir.resolve("keycloak").resolve(distribution.getFileName());
        if (!Files.isRegularFile(home.resolve("bin/kc.sh"))) {
            copyTree(distribution, home);
        }
        Path importDir = Files.createDirectories(home.resolve("data/import"));
        Files.copy(realmFile(), importDir.resolve("parley-realm.json"), StandardCopyOption.REPLACE_EXISTING);

        Map<String, String> env = new LinkedHashMap<>();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx768m");
        // the master realm's administrator, created on the first start only (admin console at /admin)
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin");
        List<String> command = List.of(home.resolve("bin/kc.sh").toString(), "start-dev",
                "--import-realm",
                "--http-host=127.0.0.1",
                "--http-port=" + ports.keycloak(),
                "--http-management-port=" + (ports.keycloak() + 10),
                "--hostname=" + keycloakUrl());
        restarts.put(KEYCLOAK, new Restart(command, Map.copyOf(env), home,
                issuerUrl() + "/.well-known/openid-configuration"));
        return track(ManagedProcess.start(KEYCLOAK, command, env, home, logFile(KEYCLOAK)));
    }

    private ManagedProcess startService(String module, int port, Map<String, String> extraEnv, String readyPath) {
        return startService(module, module, port, extraEnv, readyPath);
    }

    /** Starts the jar of {@code module} as process {@code name} and remembers how to restart it. */
    private ManagedProcess startService(String name, String module, int port, Map<String, String> extraEnv,
            String readyPath) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.putAll(managementEnv(port));
        env.put("PARLEY_OIDC_URL", issuerUrl());
        env.put("PARLEY_DB_USER", PlatformDatabase.USER);
        env.put("PARLEY_DB_PASSWORD", PlatformDatabase.PASSWORD);
        env.put("PARLEY_REGISTRY_URL", registryUrl());
        env.put("PARLEY_PROXY_URL", proxyUrl());
        env.put("PARLEY_USAGE_URL", usageUrl());
        env.put("PARLEY_SIMULATOR_URL", simulatorUrl());
        env.putAll(extraEnv);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // chat-service and the proxy hold a whole turn body (up to 100 MiB of attachments as base64) while parsing it
        String heap = module.equals("chat-service") || module.equals("inference-proxy-service") ? "-Xmx1g" : "-Xmx512m";
        List<String> command = List.of(java, "-Xms32m", heap, "-XX:+UseSerialGC", "-jar", jar(module).toString());
        say("starting " + name + " on 127.0.0.1:" + port);
        Path workDir = dataDir.resolve("work").resolve(name);
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        restarts.put(name, new Restart(command, Map.copyOf(env), workDir, "http://127.0.0.1:" + port + readyPath));
        return track(ManagedProcess.start(name, command, env, workDir, logFile(name)));
    }

    private ManagedProcess track(ManagedProcess process) {
        synchronized (processes) {
            if (stopping) {
                // Ctrl-C arrived while starting: nothing may outlive the shutdown
                process.stop(Duration.ofSeconds(5));
                throw new IllegalStateException("stopping: " + process.name() + " not kept");
            }
            processes.add(process);
        }
        process.onExit(code -> {
            if (!stopping && processes.contains(process)) {
                say(process.name() + " exited unexpectedly (code " + code + "); see " + process.log());
            }
        });
        return process;
    }

    private void awaitReady(ManagedProcess process, String url, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        String last = "no answer yet";
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(process.name() + " exited during start-up; last lines of "
                        + process.log() + ":" + System.lineSeparator() + process.logTail(30));
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    say(process.name() + " ready");
                    return;
                }
                last = "HTTP " + response.statusCode() + " " + abbreviate(response.body());
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + process.name(), e);
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + process.name(), e);
            }
        }
        throw new IllegalStateException(process.name() + " not ready at " + url + " after " + timeout.toSeconds()
                + " s (" + last + "); last lines of " + process.log() + ":" + System.lineSeparator()
                + process.logTail(30));
    }

    private void printBanner() {
        String rel = root.relativize(dataDir).toString();
        String data = rel.startsWith("..") ? dataDir.toString() : rel;
        System.out.printf("""

                Parley is up.

                  Playground     %s   log in as alice/alice, bob/bob (users) or admin/admin (user + admin)
                  Keycloak       %s   realm '%s'; admin console %s/admin (admin/admin, realm master)
                  Registry       %s
                  Proxy          %s   OpenAI-compatible, /v1/chat/completions
                  Usage          %s
                  Simulator      %s
                  PostgreSQL     127.0.0.1:%d   user parley/parley, databases %s
                  Data and logs  %s/ (logs in %s/logs/)
                  Cluster        %s

                  A token for scripts (client parley-cli, password grant):
                    curl -s -d grant_type=password -d client_id=parley-cli -d username=alice -d password=alice \\
                      %s

                Press Ctrl-C to stop everything.
                """, chatUrl(), keycloakUrl(), REALM, keycloakUrl(), registryUrl(), proxyUrl(), usageUrl(),
                simulatorUrl(), ports.postgres(), String.join(", ", PlatformDatabase.DATABASES), data, data,
                clusterLine(), tokenUrl());
        System.out.flush();
    }

    private String clusterLine() {
        return switch (cluster) {
            case NONE -> "none (static endpoints only)";
            case STAND_IN -> "a stand-in, not SambaStack: mock API server http://127.0.0.1:" + standInClusterPort()
                    + ", namespace " + StandInCluster.DEFAULT_NAMESPACE + ", its pods ready 20 s after start "
                    + "(KUBECONFIG=" + dataDir.resolve("work").resolve(STAND_IN_CLUSTER).resolve("kubeconfig") + ")";
            case KUBECONFIG -> "the cluster of " + Optional.ofNullable(System.getenv("KUBECONFIG"))
                    .orElse("~/.kube/config") + ", read-only (the registry only gets, lists and watches)";
        };
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Path partial = to.resolveSibling(to.getFileName() + ".partial");
        deleteTree(partial);
        Files.createDirectories(to.getParent());
        try (Stream<Path> tree = Files.walk(from)) {
            for (Path source : (Iterable<Path>) tree::iterator) {
                Path target = partial.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        Files.move(partial, to, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static String abbreviate(String body) {
        String flat = body.replaceAll("\\s+", " ");
        return flat.length() > 200 ? flat.substring(0, 200) + "..." : flat;
    }

    private static void say(String message) {
        System.out.println("[parley " + LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] "
                + message);
        System.out.flush();
    }
}
