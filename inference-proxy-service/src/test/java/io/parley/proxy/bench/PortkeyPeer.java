package io.parley.proxy.bench;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.http.RequestOptions;

/**
 * The Portkey AI Gateway ({@code @portkey-ai/gateway}, Node) as a peer of the proxy in {@code RelayBenchmarkTest}: installed
 * with npm into {@code target/bench-peers/portkey} (only when the benchmark asks for it), started as a child process
 * pinned with {@code taskset}, routed to the simulator as an OpenAI-compatible custom host, stopped by its PID.
 *
 * <p>
 * The gateway takes its port from {@code --port=N} ({@code build/start-server.js}) and has no option for the address:
 * {@code @hono/node-server} calls {@code server.listen(port, undefined, cb)}, i.e. every interface. A preload script
 * ({@code --require}, written here) makes {@code net.Server#listen} bind 127.0.0.1 instead, and with {@code --expose-gc}
 * answers {@code SIGUSR2} with a full GC and a dump of {@code process.memoryUsage()} to a file (for heap after GC, as
 * {@code jcmd} gives for the JVM). It also works around Portkey-AI/gateway#1389/#1550 (every call failing with 500,
 * {@code TypeError: immutable}, under Node 20 with the {@code @hono/node-server} npm resolves): the gateway's mutations
 * of the upstream response's immutable headers are skipped, so its {@code x-portkey-*} response headers are missing.
 */
public final class PortkeyPeer implements AutoCloseable {

    public static final String PACKAGE = "@portkey-ai/gateway";
    public static final String VERSION = "1.15.2";

    private static final String PRELOAD = """
            'use strict';
            const net = require('net');
            const fs = require('fs');
            const listen = net.Server.prototype.listen;
            net.Server.prototype.listen = function (...args) {
              if (args.length && args[0] !== null && typeof args[0] === 'object') {
                args[0] = Object.assign({}, args[0], { host: '127.0.0.1' });
              } else if (args.length > 1 && (args[1] === undefined || typeof args[1] === 'string')) {
                args[1] = '127.0.0.1';
              } else {
                args.splice(1, 0, '127.0.0.1');
              }
              return listen.apply(this, args);
            };
            // Portkey-AI/gateway#1389 and #1550: ResponseService.updateHeaders() adds x-portkey-* headers to (and
            // deletes content-length and transfer-encoding from) a Response whose headers are immutable under this
            // Node and @hono/node-server, failing every call with 500; skip those mutations, as the proposed fix
            // (#1390) does
            for (const name of ['append', 'set', 'delete']) {
              const original = Headers.prototype[name];
              Headers.prototype[name] = function (...args) {
                try {
                  return original.apply(this, args);
                } catch (e) {
                  if (e instanceof TypeError && e.message === 'immutable') return undefined;
                  throw e;
                }
              };
            }
            if (global.gc && process.env.BENCH_MEMORY_FILE) {
              process.on('SIGUSR2', () => {
                global.gc();
                global.gc();
                fs.writeFileSync(process.env.BENCH_MEMORY_FILE, JSON.stringify(process.memoryUsage()));
              });
            }
            """;

    private final Path home;
    private final Process process;
    private final int port;
    private final String customHost;
    private final Path memoryFile;

    private PortkeyPeer(Path home, Process process, int port, String customHost, Path memoryFile) {
        this.home = home;
        this.process = process;
        this.port = port;
        this.customHost = customHost;
        this.memoryFile = memoryFile;
    }

    /** Installs the gateway (unless already there) under {@code dir}, bounded to 5 minutes. */
    public static Path install(Path dir) throws Exception {
        Path home = dir.resolve("portkey");
        Path pkg = home.resolve("node_modules").resolve("@portkey-ai").resolve("gateway");
        if (Files.exists(pkg.resolve("package.json"))
                && Files.readString(pkg.resolve("package.json")).contains("\"version\": \"" + VERSION + "\"")) {
            return home;
        }
        Files.createDirectories(home);
        // a package.json of its own, so that npm does not walk up to another project's
        Files.writeString(home.resolve("package.json"), "{\"name\":\"parley-bench-peers\",\"private\":true}\n");
        Process npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", PACKAGE + "@" + VERSION)
                .directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(home.resolve("npm-install.log").toFile()).start();
        if (!npm.waitFor(5, TimeUnit.MINUTES)) {
            npm.destroyForcibly();
            throw new IllegalStateException("npm install did not finish in 5 minutes, see " + home.resolve("npm-install.log"));
        }
        if (npm.exitValue() != 0 || !Files.exists(pkg.resolve("build").resolve("start-server.js"))) {
            throw new IllegalStateException("npm install failed, see " + home.resolve("npm-install.log"));
        }
        return home;
    }

    /** Starts the installed gateway on a free loopback port, pinned to {@code cpu}, routed to the simulator. */
    public static PortkeyPeer start(Path home, String cpu, int simulatorPort, File log) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path preload = home.resolve("bench-preload.cjs");
        Files.writeString(preload, PRELOAD);
        Path memoryFile = home.resolve("bench-memory.json");
        Files.deleteIfExists(memoryFile);
        Path server = home.resolve("node_modules/@portkey-ai/gateway/build/start-server.js");
        List<String> command = new ArrayList<>(List.of("taskset", "-c", cpu, "node", "--expose-gc", "--require",
                preload.toAbsolutePath().toString(), server.toAbsolutePath().toString(), "--port=" + port, "--headless"));
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(log);
        builder.environment().put("NODE_ENV", "production");
        builder.environment().put("BENCH_MEMORY_FILE", memoryFile.toAbsolutePath().toString());
        Process process = builder.start();
        return new PortkeyPeer(home, process, port, "http://127.0.0.1:" + simulatorPort + "/v1", memoryFile);
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String version() {
        try {
            String json = Files.readString(home.resolve("node_modules/@portkey-ai/gateway/package.json"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"version\":\\s*\"([^\"]+)\"").matcher(json);
            return m.find() ? m.group(1) : "?";
        } catch (IOException e) {
            return "?";
        }
    }

    /** Headers routing a call to the simulator: OpenAI provider, custom host, any bearer key. */
    public RequestOptions route(RequestOptions options) {
        return options.putHeader("Authorization", "Bearer sk-bench-dummy").putHeader("x-portkey-provider", "openai")
                .putHeader("x-portkey-custom-host", customHost);
    }

    /** Total CPU (user + system, all threads) of the node process. */
    public long cpuNanos() {
        return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    public long rssBytes() {
        return rssBytes(process.pid());
    }

    /** Resident set size of a process, from {@code /proc/<pid>/status}. */
    public static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            // no /proc
        }
        return -1;
    }

    /** V8 heap used after two full GCs ({@code SIGUSR2} to the preload), or -1 if it did not answer in 30 s. */
    public long heapUsedAfterGc() throws Exception {
        Files.deleteIfExists(memoryFile);
        new ProcessBuilder("kill", "-USR2", String.valueOf(process.pid())).start().waitFor(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (Files.exists(memoryFile)) {
                String json = Files.readString(memoryFile, StandardCharsets.UTF_8);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"heapUsed\":(\\d+)").matcher(json);
                if (m.find()) {
                    return Long.parseLong(m.group(1));
                }
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        return -1;
    }

    /**
     * The local addresses the process's port is listening on, from {@code /proc/net/tcp} and {@code tcp6} (hex, e.g.
     * {@code 0100007F} for 127.0.0.1).
     */
    public List<String> listeningAddresses() {
        List<String> out = new ArrayList<>();
        String portHex = String.format(":%04X", port);
        for (String table : List.of("tcp", "tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/net", table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[1].endsWith(portHex) && f[3].equals("0A")) {
                        String addr = f[1].substring(0, f[1].indexOf(':'));
                        out.add(table + " " + decode(addr));
                    }
                }
            } catch (IOException e) {
                // no /proc
            }
        }
        return out;
    }

    private static String decode(String hex) {
        if (hex.length() == 8) {
            long v = Long.parseLong(hex, 16);
            return (v & 0xff) + "." + ((v >> 8) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 24) & 0xff);
        }
        return hex.chars().allMatch(c -> c == '0') ? "::" : hex;
    }

    /** Stops the gateway by its PID: SIGTERM, then SIGKILL after 10 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
