package io.parley.chat.repository;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

/** {@code chat_logged_out_sessions}: OIDC sessions ended by a logout, so their old cookies are refused. */
@ApplicationScoped
public class LoggedOutSessions {

    private final DataSource dataSource;

    public LoggedOutSessions(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Records the logout of {@code key}, refused until {@code expiresAt}. */
    public void add(String key, Instant expiresAt) {
        ChatRepository.withConnection(dataSource, "logout", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO chat_logged_out_sessions "
                    + "(session_key, logged_out_at, expires_at) VALUES (?, now(), ?) ON CONFLICT (session_key) "
                    + "DO UPDATE SET expires_at = GREATEST(chat_logged_out_sessions.expires_at, EXCLUDED.expires_at)")) {
                ps.setString(1, key);
                ps.setTimestamp(2, Timestamp.from(expiresAt));
                return ps.executeUpdate();
            }
        });
    }

    public boolean contains(String key) {
        return ChatRepository.withConnection(dataSource, "logout check", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT 1 FROM chat_logged_out_sessions WHERE session_key = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /** Forgets logouts whose sessions cannot be valid any more; the number of rows removed. */
    public int purgeExpired() {
        return ChatRepository.withConnection(dataSource, "logout purge", c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM chat_logged_out_sessions WHERE expires_at < now()")) {
                return ps.executeUpdate();
            }
        });
    }
}
