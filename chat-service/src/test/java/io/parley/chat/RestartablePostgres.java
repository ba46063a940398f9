package io.parley.chat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL (zonky, as {@code PostgresResource}) that a test can stop and start again on the same port with
 * the same data, like a database restart or outage in production.
 */
public class RestartablePostgres implements QuarkusTestResourceLifecycleManager {

    private static EmbeddedPostgres postgres;
    private static Path dataDir;
    private static int port;

    @Override
    public Map<String, String> start() {
        try {
            dataDir = Files.createTempDirectory("chat-pg-");
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            up();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("quarkus.datasource.jdbc.url", postgres.getJdbcUrl("postgres", "postgres"),
                "quarkus.datasource.username", "postgres", "quarkus.datasource.password", "postgres");
    }

    /** Starts the server (again), with the data it had. */
    static synchronized void up() {
        try {
            postgres = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(port)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the server (fast shutdown: open connections are cut, as in a crash or failover). */
    static synchronized void down() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** After the shared {@code PostgresResource} (order 0): this one's datasource settings win for the test using it. */
    @Override
    public int order() {
        return 1000;
    }

    @Override
    public void stop() {
        try {
            postgres.close();
        } catch (IOException e) {
            // already stopped
        }
    }
}
