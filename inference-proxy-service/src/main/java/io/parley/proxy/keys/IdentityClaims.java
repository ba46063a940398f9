package io.parley.proxy.keys;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.logging.Log;

/**
 * Hands API keys created before keys were keyed by subject (ADR 0011) to their owner: the first subject seen for a
 * user name (or one an operator recorded beforehand) is kept in {@code identity_claims}, and only that subject takes
 * the name's unclaimed keys. A later subject with the same name (a recreated user) finds another subject recorded and
 * claims nothing, ever. Blocking; each (subject, name) pair costs one transaction per process.
 */
@ApplicationScoped
public class IdentityClaims {

    private static final int MAX_REMEMBERED = 100_000;

    private final DataSource dataSource;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    IdentityClaims(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** True when this process has already recorded the pair (no database work needed). */
    public boolean seen(String subject, String name) {
        return seen.contains(subject + '\n' + name);
    }

    /** Records {@code subject} as the first subject of {@code name} if none is yet, claiming that name's old keys. */
    public void claim(String subject, String name) throws SQLException {
        String key = subject + '\n' + name;
        if (seen.contains(key)) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("insert into identity_claims (username, subject) "
                        + "values (?, ?) on conflict (username) do nothing")) {
                    ps.setString(1, name);
                    ps.setString(2, subject);
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement("update api_keys set owner_sub = ? "
                        + "where owner = ? and owner_sub is null "
                        + "and exists (select 1 from identity_claims where username = ? and subject = ?)")) {
                    ps.setString(1, subject);
                    ps.setString(2, name);
                    ps.setString(3, name);
                    ps.setString(4, subject);
                    int n = ps.executeUpdate();
                    if (n > 0) {
                        Log.infof("%d api key(s) created before keys were keyed by subject claimed by %s", n, name);
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        if (seen.size() >= MAX_REMEMBERED) {
            seen.clear();
        }
        seen.add(key);
    }
}
