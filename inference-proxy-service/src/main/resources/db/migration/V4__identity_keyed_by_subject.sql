-- API keys are owned by the token's stable subject (sub), not by the user name (ADR 0011): a user name can be given
-- to a new user after the old one is deleted, a sub never is. owner keeps the user name, for display only.
-- Keys created before this migration have no owner_sub: they are claimed by the first subject seen for their owner's
-- name after the migration (identity_claims records it), and never by any other subject.
alter table api_keys add column owner_sub varchar(255);
create index api_keys_owner_sub on api_keys (owner_sub, created_at);
create index api_keys_unclaimed on api_keys (owner) where owner_sub is null;

-- The first subject seen for each user name since this migration (or one an operator recorded beforehand from
-- Keycloak's user list). Only that subject ever claims the name's legacy keys.
create table identity_claims (
    username   varchar(255) primary key,
    subject    varchar(255) not null,
    claimed_at timestamptz  not null default now()
);
