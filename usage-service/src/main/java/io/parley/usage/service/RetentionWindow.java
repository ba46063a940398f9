package io.parley.usage.service;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

import io.parley.usage.config.UsageConfig;

/**
 * Where raw records end and daily rollups begin: raw rows of UTC days before {@code today - days} are rolled up. Whole
 * days move at once so a rolled-up day is never partly raw.
 */
public final class RetentionWindow {

    private RetentionWindow() {
    }

    /** First UTC day whose raw rows are kept. */
    public static LocalDate firstRawDay(int days, Instant now) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC).minusDays(days);
    }

    /**
     * Oldest event timestamp ingest still stores raw. Older events are rejected when retention is on: their day is (or is
     * about to be) rolled up, and their request id is no longer there to deduplicate a redelivery.
     */
    public static Instant oldestRawInstant(UsageConfig.Retention retention, Instant now) {
        if (!retention.enabled()) {
            return Instant.MIN;
        }
        return firstRawDay(retention.days(), now).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
