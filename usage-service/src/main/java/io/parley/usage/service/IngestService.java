package io.parley.usage.service;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.parley.usage.config.UsageConfig;
import io.parley.usage.model.IngestResult;
import io.parley.usage.model.Rejection;
import io.parley.usage.model.UsageEvent;
import io.parley.usage.repository.IdentityClaims;
import io.parley.usage.repository.UsageRepository;
import io.quarkus.logging.Log;

/**
 * Ingest of usage batches: each event validated on its own, the good ones stored idempotently by request id in one
 * JDBC batch, the bad ones answered with their index and reason.
 */
@ApplicationScoped
public class IngestService {

    private final UsageRepository repository;
    private final IdentityClaims claims;
    private final EventValidator validator;
    private final UsageConfig config;
    private final Counter accepted;
    private final Counter duplicates;
    private final Counter rejected;
    private final Timer lag;

    public IngestService(UsageRepository repository, IdentityClaims claims, EventValidator validator,
            UsageConfig config, MeterRegistry registry) {
        this.repository = repository;
        this.claims = claims;
        this.validator = validator;
        this.config = config;
        this.accepted = outcome(registry, "accepted");
        this.duplicates = outcome(registry, "duplicate");
        this.rejected = outcome(registry, "rejected");
        this.lag = Timer.builder("parley.usage.ingest.lag")
                .description("Time from a call's timestamp to its usage event being stored")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofHours(1))
                .register(registry);
    }

    private static Counter outcome(MeterRegistry registry, String outcome) {
        return Counter.builder("parley.usage.events.ingested")
                .description("Usage events received, by outcome (accepted, duplicate, rejected)")
                .tag("outcome", outcome)
                .register(registry);
    }

    public IngestResult ingest(JsonNode body) {
        return ingest(body, Map.of());
    }

    /**
     * Ingests a batch whose events at the indices of {@code malformed} were already found unfit (their text is not
     * strict UTF-8, see {@link Utf8Events}): those are rejected with the reason given, the others as usual.
     */
    public IngestResult ingest(JsonNode body, Map<Integer, String> malformed) {
        if (body == null || !body.isObject()) {
            throw UsageException.invalid(null, "request body must be a JSON object {\"events\": [...]}");
        }
        JsonNode events = body.get("events");
        if (events == null || !events.isArray()) {
            throw UsageException.invalid("events", "'events' must be an array of usage events");
        }
        int max = config.ingest().maxBatchSize();
        if (events.size() > max) {
            throw new UsageException(UsageException.Kind.TOO_LARGE, "batch_too_large", "events",
                    "batch of " + events.size() + " events is larger than the maximum of " + max + "; split it");
        }
        Instant oldestAccepted = RetentionWindow.oldestRawInstant(config.retention(), Instant.now());
        List<UsageEvent> valid = new ArrayList<>(events.size());
        List<Rejection> rejections = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            if (malformed.containsKey(i)) {
                rejections.add(new Rejection(i, malformed.get(i)));
                continue;
            }
            try {
                UsageEvent event = validator.validate(events.get(i));
                if (event.timestamp().isBefore(oldestAccepted)) {
                    rejections.add(new Rejection(i, "timestamp " + event.timestamp() + " is older than the retention window"
                            + " (raw records before " + oldestAccepted + " are already rolled up)"));
                } else {
                    valid.add(event);
                }
            } catch (EventValidator.InvalidEvent e) {
                rejections.add(new Rejection(i, e.getMessage()));
            }
        }
        for (UsageEvent event : valid) {
            // the proxy verified the caller: its (subject, name) pairs record claims like a sign-in does (ADR 0011)
            claims.claim(event.userSub(), event.userId());
        }
        boolean[] inserted = repository.insert(valid);
        int stored = 0;
        Instant now = Instant.now();
        for (int i = 0; i < inserted.length; i++) {
            if (inserted[i]) {
                stored++;
                lag.record(Duration.between(valid.get(i).timestamp(), now).abs());
            }
        }
        int dup = valid.size() - stored;
        accepted.increment(stored);
        duplicates.increment(dup);
        rejected.increment(rejections.size());
        if (!rejections.isEmpty()) {
            Log.infof("usage batch of %d: %d accepted, %d duplicates, %d rejected (first: #%d %s)", events.size(), stored,
                    dup, rejections.size(), rejections.get(0).index(), rejections.get(0).reason());
        } else {
            Log.debugf("usage batch of %d: %d accepted, %d duplicates", events.size(), stored, dup);
        }
        return new IngestResult(stored, dup, rejections);
    }
}
