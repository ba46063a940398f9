package io.parley.chat.repository;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * The database could not be reached (connection refused or lost, server shutting down or starting, pool exhausted
 * waiting for a connection). Answered as 503 with a retryable OpenAI-shaped error, never 500.
 */
public final class DatabaseUnavailableException extends IllegalStateException {

    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * True when {@code e} means the server is unreachable rather than that the statement was wrong: SQLSTATE class
     * 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now), 53300 (too many
     * connections), Agroal's acquisition timeout, or an I/O error underneath.
     */
    public static boolean isConnectionFailure(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                String state = s.getSQLState();
                if (state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("53300"))) {
                    return true;
                }
                if (s instanceof SQLTransientConnectionException) {
                    return true;
                }
                String message = s.getMessage();
                if (state == null && message != null && message.toLowerCase().contains("acquisition timeout")) {
                    return true;
                }
            }
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }
}
