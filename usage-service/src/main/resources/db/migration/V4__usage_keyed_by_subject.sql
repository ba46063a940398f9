-- Usage is owned by the token's stable subject (sub), not by the user name (ADR 0011): a user name can be given to a
-- new user after the old one is deleted, a sub never is. user_id keeps the user name, for display and admin filters.
-- Records written before this migration (or sent by an older proxy without user_sub) have no subject: they are
-- claimed by the first subject seen for their user name (identity_claims), never by any other subject.
ALTER TABLE usage_records ADD COLUMN user_sub TEXT;
CREATE INDEX usage_records_sub_time_idx ON usage_records (user_sub, occurred_at DESC, request_id DESC);
CREATE INDEX usage_records_unclaimed_idx ON usage_records (user_id) WHERE user_sub IS NULL;

-- rollups keep the subject too ('' while unclaimed, as for the other dimensions)
ALTER TABLE usage_daily ADD COLUMN user_sub TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_pkey;
ALTER TABLE usage_daily ADD CONSTRAINT usage_daily_pkey PRIMARY KEY (day, user_sub, user_id, model, source, status);
CREATE INDEX usage_daily_sub_idx ON usage_daily (user_sub, day);

-- The first subject seen for each user name since this migration (from a signed-in caller or from an event the proxy
-- attributed), or one an operator recorded beforehand from Keycloak's user list. Only that subject claims the name's
-- records without a subject.
CREATE TABLE identity_claims (
    username   TEXT PRIMARY KEY,
    subject    TEXT NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
