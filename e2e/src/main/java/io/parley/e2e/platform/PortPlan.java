package io.parley.e2e.platform;

/**
 * The ports one platform instance listens on (all bound to 127.0.0.1).
 * <p>
 * {@link #local()} is the plan of design §8 used by {@code make run}; {@link #e2e()} shifts every port by 10000 so the
 * end-to-end tests can run while a local platform is up.
 */
public record PortPlan(int chat, int registry, int proxy, int usage, int simulator, int keycloak, int postgres) {

    /** Design §8, plus PostgreSQL on its usual 5432 (the services' default {@code PARLEY_DB_URL} port). */
    public static PortPlan local() {
        return new PortPlan(8080, 8081, 8082, 8083, 8090, 8180, 5432);
    }

    /** The local plan shifted by 10000: 18080, 18081, 18082, 18083, 18090, 18180, 15432. */
    public static PortPlan e2e() {
        return local().shiftedBy(10000);
    }

    public PortPlan shiftedBy(int offset) {
        return new PortPlan(chat + offset, registry + offset, proxy + offset, usage + offset, simulator + offset,
                keycloak + offset, postgres + offset);
    }
}
