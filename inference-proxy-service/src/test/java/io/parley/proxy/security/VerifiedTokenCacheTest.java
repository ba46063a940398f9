package io.parley.proxy.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Set;

import org.eclipse.microprofile.jwt.JsonWebToken;
import org.junit.jupiter.api.Test;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;

class VerifiedTokenCacheTest {

    private static JsonWebToken jwt(String raw, long expSeconds) {
        return new JsonWebToken() {
            @Override
            public String getName() {
                return "alice";
            }

            @Override
            public Set<String> getClaimNames() {
                return Set.of("raw_token", "exp");
            }

            @Override
            @SuppressWarnings("unchecked")
            public <T> T getClaim(String claimName) {
                return switch (claimName) {
                    case "raw_token" -> (T) raw;
                    case "exp" -> (T) Long.valueOf(expSeconds);
                    default -> null;
                };
            }
        };
    }

    private static SecurityIdentity identity(JsonWebToken principal) {
        return QuarkusSecurityIdentity.builder().setPrincipal(principal).addRole("user")
                .addAttribute("io.vertx.ext.web.RoutingContext", new Object()).build();
    }

    private static long inSeconds(long seconds) {
        return System.currentTimeMillis() / 1000 + seconds;
    }

    @Test
    void verifiedTokenIsAnsweredFromTheCacheWithItsRolesAndWithoutTheFirstRequest() {
        VerifiedTokenCache cache = new VerifiedTokenCache(100, 60_000);
        JsonWebToken token = jwt("header.payload.signature", inSeconds(300));
        cache.remember(identity(token));

        SecurityIdentity cached = cache.lookup("header.payload.signature", null);
        assertNotNull(cached);
        assertSame(token, cached.getPrincipal());
        assertEquals(Set.of("user"), cached.getRoles());
        assertNull(cached.getAttribute("io.vertx.ext.web.RoutingContext"));
        assertNull(cache.lookup("header.payload.other-signature", null));
    }

    @Test
    void expiredTokenIsNeitherCachedNorAnswered() {
        VerifiedTokenCache cache = new VerifiedTokenCache(100, 60_000);
        cache.remember(identity(jwt("expired", inSeconds(-1))));
        assertEquals(0, cache.size());
        assertNull(cache.lookup("expired", null));
    }

    @Test
    void entryLivesNoLongerThanTheTtl() {
        VerifiedTokenCache cache = new VerifiedTokenCache(100, 0);
        cache.remember(identity(jwt("short", inSeconds(300))));
        assertNull(cache.lookup("short", null));
    }

    @Test
    void identitiesThatAreNotJwtsAreNeverCached() {
        VerifiedTokenCache cache = new VerifiedTokenCache(100, 60_000);
        cache.remember(QuarkusSecurityIdentity.builder().setPrincipal(new QuarkusPrincipal("key-owner")).addRole("user")
                .build());
        assertEquals(0, cache.size());
    }

    @Test
    void fullCacheStopsAddingUntilEntriesExpire() {
        VerifiedTokenCache cache = new VerifiedTokenCache(2, 60_000);
        cache.remember(identity(jwt("a", inSeconds(300))));
        cache.remember(identity(jwt("b", inSeconds(300))));
        cache.remember(identity(jwt("c", inSeconds(300))));
        assertEquals(2, cache.size());
        assertNull(cache.lookup("c", null));
        assertNotNull(cache.lookup("a", null));
    }

    @Test
    void sizeZeroTurnsTheCacheOff() {
        VerifiedTokenCache cache = new VerifiedTokenCache(0, 60_000);
        cache.remember(identity(jwt("a", inSeconds(300))));
        assertNull(cache.lookup("a", null));
    }
}
