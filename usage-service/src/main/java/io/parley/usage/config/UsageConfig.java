package io.parley.usage.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Settings of the usage service; every key can be overridden by its environment variable (PARLEY_USAGE_...). */
@ConfigMapping(prefix = "parley.usage")
public interface UsageConfig {

    Ingest ingest();

    Query query();

    Retention retention();

    interface Ingest {
        /** Most events accepted in one {@code POST /v1/usage/events}; a larger batch answers 413. */
        @WithDefault("1000")
        int maxBatchSize();
    }

    interface Query {
        /** Page size when {@code limit} is not given. */
        @WithDefault("100")
        int defaultLimit();

        /** Largest page size a caller may ask for. */
        @WithDefault("1000")
        int maxLimit();
    }

    interface Retention {
        /** Whether the scheduled rollup-and-delete job runs. */
        @WithDefault("true")
        boolean enabled();

        /**
         * Raw rows of UTC days that ended more than this many days ago are rolled into {@code usage_daily} and deleted.
         */
        @WithDefault("30")
        int days();

        /** How often the retention job runs (a Quarkus scheduler period such as {@code 1h} or {@code 15m}). */
        @WithDefault("1h")
        String every();

        /** Delay before the first run after start. */
        @WithDefault("1m")
        String initialDelay();
    }
}
