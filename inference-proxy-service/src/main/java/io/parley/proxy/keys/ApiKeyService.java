package io.parley.proxy.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.proxy.service.Caller;
import io.quarkus.logging.Log;

/** Creates, lists, revokes and verifies Parley API keys ({@code prl_} + 256 random bits, stored as SHA-256). */
@ApplicationScoped
public class ApiKeyService {

    public static final String SECRET_PREFIX = "prl_";
    private static final int DISPLAY_CHARS = 8;

    /** What a listing shows: never the secret. */
    public record KeyView(String id, String name, String maskedKey, Instant createdAt, Instant lastUsedAt,
            Instant revokedAt) {
    }

    /** The answer to a creation: the only time {@code key} is ever shown. */
    public record CreatedKey(String id, String name, String key, String maskedKey, Instant createdAt) {
    }

    private final ApiKeyRepository repository;
    private final ApiKeyCache cache;
    private final SecureRandom random = new SecureRandom();

    ApiKeyService(ApiKeyRepository repository, ApiKeyCache cache) {
        this.repository = repository;
        this.cache = cache;
    }

    public CreatedKey create(Caller owner, String name) throws Exception {
        byte[] secretBytes = new byte[32];
        random.nextBytes(secretBytes);
        String secret = SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        byte[] idBytes = new byte[8];
        random.nextBytes(idBytes);
        String id = "key_" + HexFormat.of().formatHex(idBytes);
        String displayPrefix = secret.substring(0, SECRET_PREFIX.length() + DISPLAY_CHARS);
        ApiKeyRepository.Row row = repository.insert(id, owner.subject(), owner.name(), name, displayPrefix,
                sha256(secret));
        Log.infof("api key %s created for %s", id, owner.name());
        return new CreatedKey(row.id(), row.name(), secret, mask(displayPrefix), row.createdAt());
    }

    public List<KeyView> list(Caller owner) throws Exception {
        return repository.byOwner(owner.subject()).stream().map(r -> new KeyView(r.id(), r.name(), mask(r.displayPrefix()),
                r.createdAt(), r.lastUsedAt(), r.revokedAt())).toList();
    }

    public boolean revoke(Caller owner, String id) throws Exception {
        boolean revoked = repository.revoke(owner.subject(), id);
        if (revoked) {
            cache.invalidate(id); // here at once; the other replicas by the notification of the revocation
            Log.infof("api key %s revoked by %s", id, owner.name());
        }
        return revoked;
    }

    /** The active key for a presented secret (blocking). */
    public Optional<ApiKeyRepository.Row> verify(String secret) throws Exception {
        if (secret == null || !secret.startsWith(SECRET_PREFIX)) {
            return Optional.empty();
        }
        return verifyDigest(sha256(secret));
    }

    /**
     * The active key for a secret's digest ({@link #digest}) if this replica verified it lately and it was not changed
     * since; empty when it must be verified against the database ({@link #verifyDigest}). Does not block.
     */
    public Optional<ApiKeyRepository.Row> cached(String secretSha256) {
        return Optional.ofNullable(cache.get(secretSha256));
    }

    /** Verifies a secret's digest against the database, marking the key used, and remembers the answer (blocking). */
    public Optional<ApiKeyRepository.Row> verifyDigest(String secretSha256) throws Exception {
        long stamp = cache.stamp();
        Optional<ApiKeyRepository.Row> row = repository.useActive(secretSha256);
        row.ifPresent(r -> cache.put(secretSha256, r, stamp));
        return row;
    }

    /** The SHA-256 of a presented secret, or empty when it is not a Parley key. */
    public static Optional<String> digest(String secret) {
        if (secret == null || !secret.startsWith(SECRET_PREFIX)) {
            return Optional.empty();
        }
        try {
            return Optional.of(sha256(secret));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String mask(String displayPrefix) {
        return displayPrefix + "…";
    }

    static String sha256(String secret) throws NoSuchAlgorithmException {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    }
}
