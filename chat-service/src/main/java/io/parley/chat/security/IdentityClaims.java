package io.parley.chat.security;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import io.parley.chat.repository.ChatRepository;
import io.quarkus.logging.Log;

/**
 * Hands sessions written before sessions were keyed by subject (ADR 0011) to their owner: the first subject seen for
 * a user name (or one an operator recorded beforehand) is kept in {@code identity_claims}, and only that subject takes
 * the name's unclaimed sessions. A later subject with the same name (a recreated user) finds another subject recorded
 * and claims nothing, ever. Blocking; each (subject, name) pair costs one transaction per process.
 */
@ApplicationScoped
public class IdentityClaims {

    private static final int MAX_REMEMBERED = 100_000;

    private final DataSource dataSource;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    public IdentityClaims(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Records {@code subject} as the first subject of {@code name} if none is yet, claiming that name's old rows. */
    public void claim(String subject, String name) {
        String key = subject + '\n' + name;
        if (seen.contains(key)) {
            return;
        }
        ChatRepository.withConnection(dataSource, "identity claim", c -> {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO identity_claims (username, subject) "
                        + "VALUES (?, ?) ON CONFLICT (username) DO NOTHING")) {
                    ps.setString(1, name);
                    ps.setString(2, subject);
                    ps.executeUpdate();
                }
                // only the name's recorded subject takes its unclaimed rows (also rows an older replica wrote since)
                try (PreparedStatement ps = c.prepareStatement("UPDATE chat_sessions SET owner_sub = ? "
                        + "WHERE user_id = ? AND owner_sub IS NULL "
                        + "AND EXISTS (SELECT 1 FROM identity_claims WHERE username = ? AND subject = ?)")) {
                    ps.setString(1, subject);
                    ps.setString(2, name);
                    ps.setString(3, name);
                    ps.setString(4, subject);
                    int n = ps.executeUpdate();
                    if (n > 0) {
                        Log.infof("%d session(s) written before sessions were keyed by subject claimed by %s", n,
                                name);
                    }
                }
                c.commit();
                return null;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        });
        if (seen.size() >= MAX_REMEMBERED) {
            seen.clear();
        }
        seen.add(key);
    }
}
