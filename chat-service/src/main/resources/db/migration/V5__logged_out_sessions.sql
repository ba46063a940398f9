-- Browser sessions ended by "Log out" (issue 15 point 5). The session cookie holds the tokens (encrypted); after a
-- logout its copy must not work again, on any replica, until it could no longer be valid anyway. A row names the
-- OIDC session (the ID token's "sid", else the SHA-256 of the ID token) and never holds a token.
CREATE TABLE chat_logged_out_sessions (
    session_key   VARCHAR(128) PRIMARY KEY,
    logged_out_at TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);

-- the purge of rows whose sessions have expired
CREATE INDEX chat_logged_out_sessions_expires ON chat_logged_out_sessions (expires_at);
