package io.parley.chat.service;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import io.parley.chat.repository.MessageRow;
import io.parley.chat.repository.TurnRepository;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;

/**
 * The shared turn log, reader side (ADR 0006): follows turns that another replica runs. One connection of its own
 * (outside the pool) LISTENs on the turn channels; a notification that a followed turn has new events reads them
 * from {@code chat_turn_events} and hands them to that turn's subscribers here, in order, each exactly once (by
 * sequence number; a gap is filled from the table). A stop notification for a turn this replica runs ends it. Every
 * second the followed turns are also read without a notification, so a lost notification or a reconnect only delays.
 */
@ApplicationScoped
public class TurnFeed {

    private final TurnRepository repository;
    private final TurnLog log;
    private final TurnRunner runner;
    private final String url;
    private final String user;
    private final String password;
    private final Map<UUID, List<Follower>> followers = new ConcurrentHashMap<>();
    private final java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newFixedThreadPool(2,
            r -> {
                Thread t = new Thread(r, "turn-feed-reader");
                t.setDaemon(true);
                return t;
            });
    private volatile boolean running = true;
    private volatile boolean listening;
    private Thread listener;

    public TurnFeed(TurnRepository repository, TurnLog log, TurnRunner runner,
            @ConfigProperty(name = "quarkus.datasource.jdbc.url") String url,
            @ConfigProperty(name = "quarkus.datasource.username") String user,
            @ConfigProperty(name = "quarkus.datasource.password") String password) {
        this.repository = repository;
        this.log = log;
        this.runner = runner;
        this.url = url;
        this.user = user;
        this.password = password;
    }

    @PostConstruct
    void startListener() {
        listener = new Thread(this::listen, "turn-feed-listener");
        listener.setDaemon(true);
        listener.start();
    }

    @PreDestroy
    void stopListener() {
        running = false;
        listener.interrupt();
        readers.shutdownNow();
    }

    /** Whether the LISTEN connection is up. */
    boolean listening() {
        return listening;
    }

    /**
     * The events of a turn another replica runs (or ran) after {@code afterSeq}: first what is stored, then live
     * until its {@code message_end}.
     */
    Multi<TurnEvent> follow(UUID turnId, long afterSeq) {
        return Multi.createFrom().emitter(emitter -> {
            Follower f = new Follower(turnId, emitter, afterSeq);
            followers.computeIfAbsent(turnId, k -> new CopyOnWriteArrayList<>()).add(f);
            emitter.onTermination(() -> unfollow(f));
            // the catch-up read runs off the caller's thread; live events that arrive meanwhile are ordered by seq
            readers.execute(() -> read(turnId));
        });
    }

    private void unfollow(Follower f) {
        followers.computeIfPresent(f.turnId, (k, list) -> {
            list.remove(f);
            return list.isEmpty() ? null : list;
        });
    }

    /** Reads the turn's stored events after what its slowest follower has and delivers them. */
    void read(UUID turnId) {
        List<Follower> list = followers.get(turnId);
        if (list == null || list.isEmpty()) {
            return;
        }
        long after = list.stream().mapToLong(Follower::last).min().orElse(0);
        List<TurnEvent> events;
        try {
            events = repository.events(turnId, after).stream().map(log::event).toList();
        } catch (RuntimeException e) {
            Log.debugf("turn %s: events not readable now (%s); retried", turnId, e.getMessage());
            return;
        }
        for (Follower f : list) {
            f.deliver(events);
        }
    }

    private void listen() {
        long backoff = 500;
        while (running) {
            try (Connection c = DriverManager.getConnection(url, user, password)) {
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + TurnRepository.EVENTS_CHANNEL);
                    s.execute("LISTEN " + TurnRepository.STOP_CHANNEL);
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                if (!listening) {
                    Log.infof("turn feed: listening for turn events and stops");
                }
                listening = true;
                backoff = 500;
                // whatever happened while not listening is read now
                followers.keySet().forEach(this::read);
                long lastPoll = System.nanoTime();
                while (running) {
                    PGNotification[] notifications = pg.getNotifications(500);
                    if (notifications != null) {
                        Set<UUID> changed = new java.util.LinkedHashSet<>();
                        for (PGNotification n : notifications) {
                            handle(n, changed);
                        }
                        changed.forEach(this::read);
                    }
                    if (System.nanoTime() - lastPoll > 1_000_000_000L) {
                        lastPoll = System.nanoTime();
                        followers.keySet().forEach(this::read);
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (listening) {
                    Log.warnf("turn feed: LISTEN connection lost (%s); reconnecting", e.getMessage());
                }
                listening = false;
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(5000, backoff * 2);
            }
        }
    }

    private void handle(PGNotification n, Set<UUID> changed) {
        if (TurnRepository.STOP_CHANNEL.equals(n.getName())) {
            Turn turn = log.local(uuid(n.getParameter()));
            if (turn != null && runner.end(turn, MessageRow.STOPPED, null, null)) {
                Log.infof("turn %s stopped on request of another replica", turn.id());
            }
            return;
        }
        for (String item : n.getParameter().split(",")) {
            int colon = item.indexOf(':');
            UUID id = uuid(colon > 0 ? item.substring(0, colon) : item);
            if (id != null && followers.containsKey(id) && log.local(id) == null) {
                changed.add(id);
            }
        }
    }

    private static UUID uuid(String s) {
        try {
            return UUID.fromString(s.trim());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** One subscriber of a remote turn: delivers events strictly in sequence, completes after {@code message_end}. */
    private final class Follower {
        final UUID turnId;
        final MultiEmitter<? super TurnEvent> emitter;
        long last;
        boolean done;

        Follower(UUID turnId, MultiEmitter<? super TurnEvent> emitter, long after) {
            this.turnId = turnId;
            this.emitter = emitter;
            this.last = after;
        }

        synchronized long last() {
            return last;
        }

        synchronized void deliver(List<TurnEvent> events) {
            for (TurnEvent e : events) {
                if (done || e.seq() != last + 1) {
                    continue;
                }
                last = e.seq();
                emitter.emit(e);
                if (TurnEvent.MESSAGE_END.equals(e.name())) {
                    done = true;
                    emitter.complete();
                }
            }
        }
    }
}
