package io.parley.proxy.keys;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.parley.proxy.service.Caller;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Two proxy replicas' key caches on one real PostgreSQL (zonky's embedded server, migrated by the proxy's own Flyway
 * scripts, so the notifying trigger is V6's): a key revoked through one replica, or by SQL, is refused by the other
 * within 1 s although the other had it cached; and a database outage, with its notifications lost, never turns a
 * revoked key valid (ADR 0017).
 */
class ApiKeyRevocationAcrossReplicasTest {

    /** One replica's key stack, as CDI wires it, with a TTL long enough that only a notification can explain a refusal. */
    private static final class Replica implements AutoCloseable {
        final ApiKeyCache cache = new ApiKeyCache(1000, TimeUnit.MINUTES.toNanos(10), System::nanoTime);
        final ApiKeyService service;
        final ApiKeyChangeListener listener;

        Replica(DataSource dataSource) {
            service = new ApiKeyService(new ApiKeyRepository(dataSource), cache);
            listener = new ApiKeyChangeListener(dataSource, cache);
            listener.start();
        }

        /** What {@code ApiKeyIdentityProvider} does: the cache, else the database; false when refused or failing. */
        boolean accepts(String secret) {
            String digest = ApiKeyService.digest(secret).orElseThrow();
            if (service.cached(digest).isPresent()) {
                return true;
            }
            try {
                return service.verifyDigest(digest).isPresent();
            } catch (Exception e) {
                return false;
            }
        }

        boolean cached(String secret) {
            return service.cached(ApiKeyService.digest(secret).orElseThrow()).isPresent();
        }

        @Override
        public void close() {
            listener.stop();
        }
    }

    private Path dataDir;
    private int port;
    private EmbeddedPostgres postgres;
    private final List<Replica> replicas = new ArrayList<>();

    @BeforeEach
    void startDatabase() throws Exception {
        dataDir = Files.createTempDirectory("parley-key-cache-pg");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        postgres = startPostgres();
        Flyway.configure().dataSource(postgres.getPostgresDatabase()).locations("classpath:db/migration").load().migrate();
    }

    private EmbeddedPostgres startPostgres() throws IOException {
        return EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(port).start();
    }

    @AfterEach
    void stopAll() throws IOException {
        replicas.forEach(Replica::close);
        if (postgres != null) {
            postgres.close();
        }
        try (var files = Files.walk(dataDir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    private Replica replica() {
        Replica r = new Replica(postgres.getPostgresDatabase());
        replicas.add(r);
        await().atMost(Duration.ofSeconds(20)).until(r.cache::isListening);
        return r;
    }

    private static String create(Replica r, String owner) throws Exception {
        return r.service.create(new Caller(owner + "-sub", owner, true), "laptop").key();
    }

    @Test
    void aKeyRevokedThroughOneReplicaIsRefusedByTheOtherWithinOneSecond() throws Exception {
        Replica a = replica();
        Replica b = replica();
        ApiKeyService.CreatedKey created = a.service.create(new Caller("olga-sub", "olga", true), "laptop");
        String secret = created.key();

        assertTrue(b.accepts(secret));
        assertTrue(b.cached(secret), "a verified key is answered from the cache afterwards");
        assertTrue(a.service.revoke(new Caller("olga-sub", "olga", true), created.id()));

        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() -> !b.accepts(secret));
        assertFalse(a.accepts(secret));
    }

    @Test
    void aKeyRevokedBySqlIsRefusedByEveryReplicaWithinOneSecond() throws Exception {
        Replica a = replica();
        Replica b = replica();
        String secret = create(a, "pavel");
        assertTrue(a.accepts(secret));
        assertTrue(b.accepts(secret));
        assertTrue(a.cached(secret) && b.cached(secret));

        try (Connection c = postgres.getPostgresDatabase().getConnection();
                PreparedStatement ps = c.prepareStatement("update api_keys set revoked_at = now() where owner = ?")) {
            ps.setString(1, "pavel");
            ps.executeUpdate();
        }

        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
                .until(() -> !a.accepts(secret) && !b.accepts(secret));
    }

    @Test
    void recordingAKeysUseDoesNotDropItFromTheCaches() throws Exception {
        Replica a = replica();
        Replica b = replica();
        String secret = create(a, "quinn");
        assertTrue(a.accepts(secret));
        assertTrue(b.accepts(secret)); // marks it used (last_used_at): no notification, a keeps it
        // a notification of another key's change, sent after b's update, arrives after any notification of b's update
        String other = create(a, "rita");
        assertTrue(a.accepts(other));
        try (Connection c = postgres.getPostgresDatabase().getConnection();
                PreparedStatement ps = c.prepareStatement("update api_keys set revoked_at = now() where owner = ?")) {
            ps.setString(1, "rita");
            ps.executeUpdate();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !a.cached(other));

        assertTrue(a.cached(secret));
    }

    @Test
    void aDatabaseOutageDoesNotTurnARevokedKeyValid() throws Exception {
        Replica a = replica();
        Replica b = replica();
        String revokedBefore = create(a, "sara");
        String revokedDuring = create(a, "tom");
        String stillValid = create(a, "ulla");
        assertTrue(b.accepts(revokedDuring));
        assertTrue(b.accepts(stillValid));
        try (Connection c = postgres.getPostgresDatabase().getConnection();
                PreparedStatement ps = c.prepareStatement("update api_keys set revoked_at = now() where owner = ?")) {
            ps.setString(1, "sara");
            ps.executeUpdate();
        }
        await().atMost(Duration.ofSeconds(1)).until(() -> !b.accepts(revokedBefore));

        // the outage: b's listening connection breaks, b empties and bypasses its cache; nothing is accepted unverified
        postgres.close();
        postgres = null;
        await().atMost(Duration.ofSeconds(10)).until(() -> !b.cache.isListening());
        assertFalse(b.accepts(revokedBefore));
        assertFalse(b.accepts(revokedDuring), "a cached key is not accepted while the database cannot be asked");

        // the database is back; a revocation commits at once, possibly before b listens again (its notification lost)
        postgres = startPostgres();
        try (Connection c = postgres.getPostgresDatabase().getConnection();
                PreparedStatement ps = c.prepareStatement("update api_keys set revoked_at = now() where owner = ?")) {
            ps.setString(1, "tom");
            ps.executeUpdate();
        }
        assertFalse(b.accepts(revokedDuring));
        assertFalse(b.accepts(revokedBefore));
        await().atMost(Duration.ofSeconds(20)).until(b.cache::isListening);
        assertFalse(b.accepts(revokedDuring));
        assertFalse(b.accepts(revokedBefore));
        assertTrue(b.accepts(stillValid));
        assertTrue(b.cached(stillValid), "the cache is in use again once the listener is back");
    }
}
