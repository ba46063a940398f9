package io.parley.e2e.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The platform's one PostgreSQL: zonky's embedded binaries (from Maven Central, no Docker), with a data directory that
 * survives restarts. On every start it makes sure the {@code parley} role and one database per service exist.
 */
final class PlatformDatabase implements AutoCloseable {

    static final String USER = "parley";
    static final String PASSWORD = "parley";
    static final List<String> DATABASES = List.of("parley_chat", "parley_proxy", "parley_usage");

    private final EmbeddedPostgres postgres;
    private final int port;

    private PlatformDatabase(EmbeddedPostgres postgres, int port) {
        this.postgres = postgres;
        this.port = port;
    }

    static PlatformDatabase start(Path dataDir, int port, Path log) {
        try {
            Files.createDirectories(dataDir);
            Files.createDirectories(log.getParent());
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "200")
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            PlatformDatabase database = new PlatformDatabase(postgres, port);
            database.createRoleAndDatabases();
            return database;
        } catch (IOException | SQLException e) {
            throw new IllegalStateException("PostgreSQL did not start on port " + port + " (log: " + log + "): "
                    + e.getMessage(), e);
        }
    }

    int port() {
        return port;
    }

    /** The JDBC URL of one of the service databases, for {@code PARLEY_DB_URL}. */
    String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    private void createRoleAndDatabases() throws SQLException {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            if (!exists(connection, "select 1 from pg_roles where rolname = ?", USER)) {
                statement.execute("create role " + USER + " login password '" + PASSWORD + "'");
            }
            for (String database : DATABASES) {
                if (!exists(connection, "select 1 from pg_database where datname = ?", database)) {
                    statement.execute("create database " + database + " owner " + USER);
                }
            }
        }
    }

    private static boolean exists(Connection connection, String sql, String name) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setString(1, name);
            try (ResultSet result = query.executeQuery()) {
                return result.next();
            }
        }
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            // already stopped (for example by the terminal's Ctrl-C reaching the postmaster first)
        }
    }
}
