package io.parley.proxy.limits;

import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.proxy.config.ProxyConfig;
import io.parley.proxy.metrics.ProxyMetrics;
import io.parley.proxy.service.Caller;
import io.parley.proxy.service.ServiceError;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * The per-user and per-API-key rate and concurrency limits of the relay routes ({@code parley.proxy.limits.user.*},
 * {@code parley.proxy.limits.api-key.*}), shared across replicas by {@link SharedLimits}. The check is in memory on the
 * event loop (no database round trip, no thread hop); the shared counters are synced every
 * {@code limits.sync-interval} on a worker thread.
 */
@ApplicationScoped
public class CallLimits {

    private final SharedLimits shared;
    private final SharedLimits.Limits user;
    private final SharedLimits.Limits apiKey;
    private final ProxyMetrics metrics;

    CallLimits(ProxyConfig config, DataSource dataSource, ProxyMetrics metrics) {
        this.metrics = metrics;
        this.user = limits(config.limits().user());
        this.apiKey = limits(config.limits().apiKey());
        // a new id per process: a restarted or crashed replica's old leases simply expire
        this.shared = new SharedLimits(dataSource, UUID.randomUUID().toString(), config.limits().leaseTtl());
    }

    private static SharedLimits.Limits limits(ProxyConfig.Rate rate) {
        return new SharedLimits.Limits(rate.requestsPerMinute(), rate.tokensPerMinute(), rate.maxConcurrent());
    }

    /**
     * The limit subject of a caller: the one place that says which identity limits are keyed by (the token's stable
     * {@code sub}, for an API key its owner's; ADR 0011).
     */
    static String userSubject(Caller caller) {
        return "user:" + caller.subject();
    }

    static String apiKeySubject(String apiKeyId) {
        return "api_key:" + apiKeyId;
    }

    /**
     * Admits the call of {@code caller} (through {@code apiKeyId}, null for a bearer token), or answers why not: the 429
     * to send, with {@code Retry-After} already set on the response. An admitted call's place is given back when its
     * response ends or its connection closes.
     */
    public ServiceError admit(RoutingContext rc, Caller caller, String apiKeyId) {
        boolean byKey = apiKeyId != null && !apiKey.off();
        if (user.off() && !byKey) {
            return null;
        }
        List<String> keys = byKey ? List.of(userSubject(caller), apiKeySubject(apiKeyId)) : List.of(userSubject(caller));
        List<SharedLimits.Limits> limits = byKey ? List.of(user, apiKey) : List.of(user);
        SharedLimits.Refusal refusal = shared.admit(keys, limits, System.currentTimeMillis());
        if (refusal != null) {
            String scope = refusal.subject().startsWith("user:") ? "user" : "api_key";
            metrics.limited(refusal.limit(), scope);
            rc.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(refusal.retryAfterSeconds()));
            return ServiceError.rateLimited(refusal.limit(), scope, refusal.allowed(), refusal.used(),
                    refusal.retryAfterSeconds());
        }
        rc.addEndHandler(v -> keys.forEach(shared::release));
        return null;
    }

    /** Tokens a finished call used, counted against the tokens-per-minute limits of its user and key. */
    public void tokensUsed(Caller caller, String apiKeyId, long tokens) {
        long now = System.currentTimeMillis();
        if (user.tokensPerMinute() > 0) {
            shared.addTokens(userSubject(caller), tokens, now);
        }
        if (apiKeyId != null && apiKey.tokensPerMinute() > 0) {
            shared.addTokens(apiKeySubject(apiKeyId), tokens, now);
        }
    }

    @Scheduled(every = "${parley.proxy.limits.sync-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sync() {
        shared.sync(System.currentTimeMillis());
    }
}
