-- Usage events PostgreSQL refused to store (a data error, not an outage: e.g. a value jsonb cannot hold). They are
-- kept here with the reason instead of blocking the outbox queue behind them, counted in
-- parley_proxy_usage_dead_lettered_total and listed to admins at GET /admin/usage/dead-letters. The event is kept as
-- its JSON text (text holds the \u0000 escape that jsonb refuses).
create table usage_dead_letter (
    request_id text         primary key,
    event      text         not null,
    reason     text         not null,
    created_at timestamptz  not null default now()
);

create index usage_dead_letter_created on usage_dead_letter (created_at);
