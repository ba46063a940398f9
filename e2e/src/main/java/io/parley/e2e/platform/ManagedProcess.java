package io.parley.e2e.platform;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * A child process the platform started: its output goes to a log file, and {@link #stop(Duration)} ends it together
 * with every process it spawned (Keycloak's {@code kc.sh} runs {@code java} as a child, for example).
 */
final class ManagedProcess {

    private final String name;
    private final Process process;
    private final Path log;

    private ManagedProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    static ManagedProcess start(String name, List<String> command, Map<String, String> environment, Path workDir,
            Path log) {
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, "==== " + Instant.now() + " starting " + name + ": " + String.join(" ", command)
                    + System.lineSeparator(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(environment);
            return new ManagedProcess(name, builder.start(), log);
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + name + ": " + e.getMessage(), e);
        }
    }

    String name() {
        return name;
    }

    Path log() {
        return log;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Runs {@code action} with the exit code once the process ends. */
    void onExit(IntConsumer action) {
        process.onExit().thenAccept(ended -> action.accept(ended.exitValue()));
    }

    /** The last lines of the log, for error messages. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log " + log + " unreadable: " + e.getMessage() + ")";
        }
    }

    /** SIGKILL to the process and all its descendants; returns once they are gone. */
    void kill() {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle handle : tree) {
            handle.onExit().join();
        }
    }

    /** SIGTERM to the process (its own shutdown runs); the future completes with its exit code. */
    CompletableFuture<Integer> terminate() {
        process.destroy();
        return process.onExit().thenApply(Process::exitValue);
    }

    /**
     * Asks the process and all its descendants to terminate (SIGTERM), waits up to {@code grace}, then kills whatever
     * is left.
     */
    void stop(Duration grace) {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        if (tree.stream().noneMatch(ProcessHandle::isAlive)) {
            return;
        }
        tree.forEach(ProcessHandle::destroy);
        Instant deadline = Instant.now().plus(grace);
        for (ProcessHandle handle : tree) {
            long remaining = Math.max(0, Duration.between(Instant.now(), deadline).toMillis());
            try {
                handle.onExit().get(remaining, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // still alive after the grace period (or interrupted): killed below
            }
        }
        for (ProcessHandle handle : tree) {
            if (handle.isAlive()) {
                handle.destroyForcibly();
            }
        }
    }
}
