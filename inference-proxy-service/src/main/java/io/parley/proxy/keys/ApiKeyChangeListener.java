package io.parley.proxy.keys;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Holds one connection that {@code LISTEN}s on {@value #CHANNEL} (notified by the trigger of migration V6 with the id of
 * each revoked, deleted or changed key) and drops those keys from {@link ApiKeyCache}. The cache is used only while the
 * listen is up; the connection is checked with a {@code select 1} every {@link #HEARTBEAT} (answered within
 * {@link #NETWORK_TIMEOUT}) and re-opened after a failure with a backoff of up to {@link #MAX_BACKOFF}, each state change
 * emptying the cache (ADR 0017). Its own thread; the connection is borrowed from the pool for as long as it works.
 */
@ApplicationScoped
public class ApiKeyChangeListener {

    static final String CHANNEL = "parley_api_keys";
    static final Duration HEARTBEAT = Duration.ofSeconds(1);
    static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(2);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final int POLL_MILLIS = 250;

    private final DataSource dataSource;
    private final ApiKeyCache cache;
    private volatile boolean running;
    private volatile Thread thread;
    private boolean outage;

    @Inject
    ApiKeyChangeListener(DataSource dataSource, ApiKeyCache cache) {
        this.dataSource = dataSource;
        this.cache = cache;
    }

    void onStart(@Observes StartupEvent event) {
        start();
    }

    void onShutdown(@Observes ShutdownEvent event) {
        stop();
    }

    synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        Thread t = new Thread(this::run, "parley-api-key-listener");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    synchronized void stop() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        cache.listening(false);
    }

    private void run() {
        long backoffMillis = 100;
        while (running) {
            try {
                if (listen()) {
                    backoffMillis = 100;
                }
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    break;
                }
                if (!outage) {
                    Log.warnf("api key change notifications unavailable (%s); keys are verified against the database on "
                            + "every call until they are back", e.getMessage());
                }
                outage = true;
            } finally {
                cache.listening(false);
            }
            if (running) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(backoffMillis));
                backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF.toMillis());
            }
        }
    }

    /** Listens until the connection fails (throws) or the listener stops (returns true once it had listened). */
    private boolean listen() throws SQLException {
        Executor direct = Runnable::run;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            c.setNetworkTimeout(direct, (int) NETWORK_TIMEOUT.toMillis());
            PGConnection pg = c.unwrap(PGConnection.class);
            try (Statement s = c.createStatement()) {
                s.execute("LISTEN " + CHANNEL);
            }
            cache.listening(true);
            if (outage) {
                Log.infof("api key change notifications are back");
                outage = false;
            }
            long lastBeat = System.nanoTime();
            try {
                while (running) {
                    PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
                    if (notifications != null) {
                        for (PGNotification n : notifications) {
                            cache.invalidate(n.getParameter());
                        }
                    }
                    if (System.nanoTime() - lastBeat >= HEARTBEAT.toNanos()) {
                        try (Statement s = c.createStatement()) {
                            s.execute("select 1");
                        }
                        lastBeat = System.nanoTime();
                    }
                }
            } finally {
                cache.listening(false);
                // the connection goes back to the pool as it came (a broken one is discarded by the pool's validation)
                try (Statement s = c.createStatement()) {
                    s.execute("UNLISTEN *");
                    c.setNetworkTimeout(direct, 0);
                } catch (SQLException e) {
                    Log.debugf("api key listener connection not reset: %s", e.getMessage());
                }
            }
            return true;
        }
    }
}
