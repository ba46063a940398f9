package io.parley.usage.config;

import jakarta.enterprise.event.Observes;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;

/** Refuses to start with settings that cannot work, naming the key to fix. */
public class ConfigCheck {

    void check(@Observes StartupEvent startup, UsageConfig config) {
        require(config.ingest().maxBatchSize() >= 1, "parley.usage.ingest.max-batch-size must be at least 1");
        require(config.query().defaultLimit() >= 1, "parley.usage.query.default-limit must be at least 1");
        require(config.query().maxLimit() >= config.query().defaultLimit(),
                "parley.usage.query.max-limit must be at least parley.usage.query.default-limit");
        require(config.retention().days() >= 1, "parley.usage.retention.days must be at least 1");
        Log.infof("usage-service: batches up to %d events; retention %s (%d days, every %s)",
                config.ingest().maxBatchSize(), config.retention().enabled() ? "on" : "off", config.retention().days(),
                config.retention().every());
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("invalid configuration: " + message);
        }
    }
}
