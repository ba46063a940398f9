-- Sessions are owned by the token's stable subject (sub), not by the user name (ADR 0011): a user name can be given
-- to a new user after the old one is deleted, a sub never is. user_id keeps the user name, for display only.
-- Rows written before this migration have no owner_sub: they are claimed once, by the first sub seen for their user
-- name after the migration (identity_claims records it), and never again by any other sub.
ALTER TABLE chat_sessions ADD COLUMN owner_sub VARCHAR(255);
CREATE INDEX chat_sessions_owner_updated ON chat_sessions (owner_sub, updated_at DESC);
CREATE INDEX chat_sessions_unclaimed ON chat_sessions (user_id) WHERE owner_sub IS NULL;

-- The first subject seen for each user name since this migration. A user name that has a row here never claims
-- legacy rows again, so a recreated user with a reused name (a new sub) does not inherit the old user's chats.
-- Operators may pre-fill it from Keycloak's user list before the rollout (docs/adr/0011).
CREATE TABLE identity_claims (
    username   VARCHAR(255) PRIMARY KEY,
    subject    VARCHAR(255) NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
