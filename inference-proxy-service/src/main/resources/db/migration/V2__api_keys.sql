-- Parley API keys: the secret is shown once at creation and stored only as its SHA-256 (the secret is 256 random
-- bits, so a plain digest is not guessable and allows an indexed lookup).
create table api_keys (
    id            varchar(40)  primary key,
    owner         varchar(255) not null,
    name          varchar(255),
    display_prefix varchar(32) not null,
    secret_sha256 varchar(64)  not null unique,
    created_at    timestamptz  not null default now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

create index api_keys_owner on api_keys (owner, created_at);
