package io.parley.registry.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** What a slow client may hold at the service's edge, under {@code parley.edge} (see its rest.EdgeGuard). */
@ConfigMapping(prefix = "parley.edge")
public interface EdgeConfig {

    /** A request body from which no byte arrives for this long is answered 408 and its connection closed. */
    @WithDefault("30s")
    Duration bodyIdleTimeout();
}
