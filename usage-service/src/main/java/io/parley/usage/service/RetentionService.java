package io.parley.usage.service;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.usage.config.UsageConfig;
import io.parley.usage.repository.RollupRepository;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;

/**
 * Retention: raw records of UTC days older than {@code parley.usage.retention.days} are rolled into daily aggregates and
 * deleted, one day per transaction. Summaries read both tables, so their totals do not change when a day moves.
 */
@ApplicationScoped
public class RetentionService {

    private final RollupRepository repository;
    private final UsageConfig config;

    public RetentionService(RollupRepository repository, UsageConfig config) {
        this.repository = repository;
        this.config = config;
    }

    @Scheduled(identity = "usage-retention", every = "${parley.usage.retention.every:1h}", delayed = "${parley.usage.retention.initial-delay:1m}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        if (config.retention().enabled()) {
            rollUp(RetentionWindow.firstRawDay(config.retention().days(), Instant.now()));
        }
    }

    /** Rolls up every raw day before {@code firstRawDay}; answers how many raw records were moved. */
    public long rollUp(LocalDate firstRawDay) {
        long total = 0;
        Optional<LocalDate> day = repository.oldestRawDay();
        while (day.isPresent() && day.get().isBefore(firstRawDay)) {
            long moved = repository.moveDay(day.get());
            Log.infof("usage retention: rolled up %d raw records of %s into daily aggregates", moved, day.get());
            total += moved;
            LocalDate done = day.get();
            // never revisit a day in one run, even if a late record landed in it meanwhile
            day = repository.oldestRawDay().map(next -> next.isAfter(done) ? next : done.plusDays(1));
        }
        return total;
    }
}
