package io.parley.proxy.keys;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.parley.proxy.config.ProxyConfig;

/**
 * API keys this replica verified against the database, kept for {@code parley.proxy.auth.api-key-cache-ttl} so a
 * client's next calls are answered on the event loop, without a database round trip (ADR 0017). Keyed by the SHA-256 of
 * the secret (what {@code api_keys} stores), never by the secret itself.
 *
 * <p>
 * Only used while {@link ApiKeyChangeListener} holds a {@code LISTEN} on the key change channel: a revocation on any
 * replica drops the key here through {@link #invalidate(String)} as soon as it commits. While that connection is down the
 * cache is empty and bypassed (every call goes to the database, as without a cache), and it is emptied again when the
 * connection is back, so a change missed in between cannot survive. The TTL is the backstop for a connection that is
 * broken but not yet known to be.
 *
 * <p>
 * A verification races a revocation that commits while it reads: each verification takes a {@link #stamp()} before it
 * reads, and its answer is kept only if no invalidation happened since (checked again after the entry is in, so an
 * invalidation running beside the insert removes it either way). Bounded: when full, expired entries are dropped, and
 * if none were, keys are verified but not kept until entries expire.
 */
@ApplicationScoped
public class ApiKeyCache {

    private record Entry(ApiKeyRepository.Row row, long expiresAtNanos) {
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final int maxEntries;
    private final long ttlNanos;
    private final LongSupplier nanoTime;
    private volatile boolean listening;

    @Inject
    ApiKeyCache(ProxyConfig config) {
        this(config.auth().apiKeyCacheSize(), config.auth().apiKeyCacheTtl().toNanos(), System::nanoTime);
    }

    ApiKeyCache(int maxEntries, long ttlNanos, LongSupplier nanoTime) {
        this.maxEntries = maxEntries;
        this.ttlNanos = ttlNanos;
        this.nanoTime = nanoTime;
    }

    /** The active key with this secret digest, if verified here lately and nothing invalidated it since. */
    public ApiKeyRepository.Row get(String secretSha256) {
        if (!listening) {
            return null;
        }
        Entry entry = entries.get(secretSha256);
        if (entry == null) {
            return null;
        }
        if (nanoTime.getAsLong() - entry.expiresAtNanos() >= 0) {
            entries.remove(secretSha256, entry);
            return null;
        }
        return entry.row();
    }

    /** Taken before a database verification, handed to {@link #put}. */
    public long stamp() {
        return generation.get();
    }

    /** Keeps a key verified by a read that started after {@code stamp}, unless something was invalidated since. */
    public void put(String secretSha256, ApiKeyRepository.Row row, long stamp) {
        if (maxEntries <= 0 || ttlNanos <= 0 || !listening || generation.get() != stamp) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (entries.size() >= maxEntries) {
            entries.values().removeIf(e -> now - e.expiresAtNanos() >= 0);
            if (entries.size() >= maxEntries) {
                return;
            }
        }
        Entry entry = new Entry(row, now + ttlNanos);
        entries.put(secretSha256, entry);
        if (generation.get() != stamp || !listening) {
            entries.remove(secretSha256, entry);
        }
    }

    /** Drops the key with this id (revoked, deleted or changed, on this replica or another). */
    public void invalidate(String keyId) {
        generation.incrementAndGet();
        entries.values().removeIf(e -> e.row().id().equals(keyId));
    }

    /**
     * The change channel is listened to ({@code true}, after {@code LISTEN} succeeded) or not (the connection failed):
     * either way everything cached so far is dropped, since changes may have been missed.
     */
    void listening(boolean listening) {
        this.listening = listening;
        generation.incrementAndGet();
        entries.clear();
    }

    boolean isListening() {
        return listening;
    }

    int size() {
        return entries.size();
    }
}
