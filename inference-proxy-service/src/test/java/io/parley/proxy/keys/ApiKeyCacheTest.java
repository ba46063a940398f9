package io.parley.proxy.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The cache's own rules, on a hand-moved clock: TTL, the race with a revocation, the bound, and the listen state. */
class ApiKeyCacheTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final ApiKeyCache cache = new ApiKeyCache(2, TimeUnit.SECONDS.toNanos(10), now::get);

    private static ApiKeyRepository.Row row(String id) {
        return new ApiKeyRepository.Row(id, "sub", "owner", "name", "prl_abcdefgh", Instant.EPOCH, null, null);
    }

    @Test
    void aVerifiedKeyIsKeptUntilItsTtlAndOnlyWhileListening() {
        cache.put("h1", row("k1"), cache.stamp());
        assertNull(cache.get("h1"), "not kept while the change channel is not listened to");

        cache.listening(true);
        cache.put("h1", row("k1"), cache.stamp());
        assertEquals("k1", cache.get("h1").id());
        now.addAndGet(TimeUnit.SECONDS.toNanos(10));
        assertNull(cache.get("h1"), "expired at its TTL");
    }

    @Test
    void aVerificationThatRacedAnInvalidationIsNotKept() {
        cache.listening(true);
        long stamp = cache.stamp();
        cache.invalidate("k-other"); // a revocation committed while the verification read
        cache.put("h1", row("k1"), stamp);
        assertNull(cache.get("h1"));

        cache.put("h1", row("k1"), cache.stamp());
        cache.invalidate("k1");
        assertNull(cache.get("h1"));
    }

    @Test
    void losingTheChannelEmptiesTheCacheAndAVerificationFromBeforeIsNotKept() {
        cache.listening(true);
        cache.put("h1", row("k1"), cache.stamp());
        long stamp = cache.stamp();
        cache.listening(false);
        cache.listening(true);
        assertNull(cache.get("h1"));
        cache.put("h2", row("k2"), stamp);
        assertNull(cache.get("h2"));
    }

    @Test
    void whenFullExpiredEntriesMakeRoomAndOtherwiseNewKeysAreNotKept() {
        cache.listening(true);
        cache.put("h1", row("k1"), cache.stamp());
        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        cache.put("h2", row("k2"), cache.stamp());
        cache.put("h3", row("k3"), cache.stamp());
        assertNull(cache.get("h3"), "full: not kept");
        now.addAndGet(TimeUnit.SECONDS.toNanos(6)); // h1 expired, h2 not
        cache.put("h3", row("k3"), cache.stamp());
        assertEquals("k3", cache.get("h3").id());
        assertEquals("k2", cache.get("h2").id());
        assertEquals(2, cache.size());
    }
}
