package io.parley.proxy.keys;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

/** Plain JDBC over {@code api_keys}; blocking, called from worker threads only. */
@ApplicationScoped
public class ApiKeyRepository {

    public record Row(String id, String owner, String name, String displayPrefix, Instant createdAt, Instant lastUsedAt,
            Instant revokedAt) {
    }

    private static final String COLUMNS = "id, owner, name, display_prefix, created_at, last_used_at, revoked_at";

    private final DataSource dataSource;

    ApiKeyRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public Row insert(String id, String owner, String name, String displayPrefix, String secretSha256)
            throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("insert into api_keys (id, owner, name, display_prefix,"
                        + " secret_sha256) values (?, ?, ?, ?, ?) returning " + COLUMNS)) {
            ps.setString(1, id);
            ps.setString(2, owner);
            ps.setString(3, name);
            ps.setString(4, displayPrefix);
            ps.setString(5, secretSha256);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return row(rs);
            }
        }
    }

    public List<Row> byOwner(String owner) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "select " + COLUMNS + " from api_keys where owner = ? order by created_at desc")) {
            ps.setString(1, owner);
            List<Row> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(row(rs));
                }
            }
            return rows;
        }
    }

    /** Revokes the owner's key; false when it does not exist, is someone else's, or was already revoked. */
    public boolean revoke(String owner, String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "update api_keys set revoked_at = now() where id = ? and owner = ? and revoked_at is null")) {
            ps.setString(1, id);
            ps.setString(2, owner);
            return ps.executeUpdate() == 1;
        }
    }

    /** The active key with this secret digest, marking it used. */
    public Optional<Row> useActive(String secretSha256) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("update api_keys set last_used_at = now()"
                        + " where secret_sha256 = ? and revoked_at is null returning " + COLUMNS)) {
            ps.setString(1, secretSha256);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    private static Row row(ResultSet rs) throws SQLException {
        return new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), instant(rs.getTimestamp(5)),
                instant(rs.getTimestamp(6)), instant(rs.getTimestamp(7)));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
