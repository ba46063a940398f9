package io.parley.registry.config;

import java.time.Duration;

/** Checks of the configuration that a type cannot express. */
public final class ConfigValidation {

    private ConfigValidation() {
    }

    /**
     * The health TTL must exceed the poll interval, otherwise every model would flap to unhealthy between two
     * rounds.
     *
     * @throws IllegalStateException with a message naming both settings and their environment variables
     */
    public static void requireTtlAbovePoll(Duration poll, Duration ttl) {
        if (poll.isNegative() || poll.isZero()) {
            throw new IllegalStateException("parley.registry.health.poll (HEALTH_POLL_SEC) must be positive, got "
                    + poll.toSeconds() + "s");
        }
        if (ttl.compareTo(poll) <= 0) {
            throw new IllegalStateException(String.format(
                    "Refusing to start: the health TTL parley.registry.health.ttl (HEALTH_CHECK_TTL_SEC) = %ss must be "
                            + "greater than the poll interval parley.registry.health.poll (HEALTH_POLL_SEC) = %ss; "
                            + "otherwise models would turn unhealthy between two probe rounds",
                    seconds(ttl), seconds(poll)));
        }
    }

    private static String seconds(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : Double.toString(millis / 1000.0);
    }
}
