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

    /** {@code ownerSub} is null for a key created before keys were keyed by subject and not claimed since. */
    public record Row(String id, String ownerSub, String owner, String name, String displayPrefix, Instant createdAt,
            Instant lastUsedAt,
            Instant revokedAt) {
    }

    private static final String COLUMNS = "id, owner_sub, owner, name, display_prefix, created_at, last_used_at, "
            + "revoked_at";

    private final DataSource dataSource;

    ApiKeyRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public Row insert(String id, String ownerSub, String owner, String name, String displayPrefix,
            String secretSha256) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("insert into api_keys (id, owner_sub, owner, name,"
                        + " display_prefix, secret_sha256) values (?, ?, ?, ?, ?, ?) returning " + COLUMNS)) {
            ps.setString(1, id);
            ps.setString(2, ownerSub);
            ps.setString(3, owner);
            ps.setString(4, name);
            ps.setString(5, displayPrefix);
            ps.setString(6, secretSha256);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return row(rs);
            }
        }
    }

    public List<Row> byOwner(String ownerSub) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "select " + COLUMNS + " from api_keys where owner_sub = ? order by created_at desc")) {
            ps.setString(1, ownerSub);
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
    public boolean revoke(String ownerSub, String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("update api_keys set revoked_at = now() where id = ?"
                        + " and owner_sub = ? and revoked_at is null")) {
            ps.setString(1, id);
            ps.setString(2, ownerSub);
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * The active key with this secret digest, marking it used; a legacy key whose owner's name has a recorded subject
     * (ADR 0011) is claimed by that subject on the way.
     */
    public Optional<Row> useActive(String secretSha256) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("update api_keys k set last_used_at = now(), owner_sub ="
                        + " coalesce(k.owner_sub, (select subject from identity_claims where username = k.owner))"
                        + " where secret_sha256 = ? and revoked_at is null returning " + COLUMNS)) {
            ps.setString(1, secretSha256);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    private static Row row(ResultSet rs) throws SQLException {
        return new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                instant(rs.getTimestamp(6)), instant(rs.getTimestamp(7)), instant(rs.getTimestamp(8)));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
