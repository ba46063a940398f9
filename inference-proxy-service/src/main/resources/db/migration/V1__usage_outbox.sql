-- One row per proxied call; the publisher delivers undelivered rows to usage-service in batches.
create table usage_outbox (
    request_id      varchar(64) primary key,
    event           jsonb       not null,
    created_at      timestamptz not null default now(),
    delivered_at    timestamptz,
    attempts        integer     not null default 0,
    rejected_reason text
);

create index usage_outbox_pending on usage_outbox (created_at) where delivered_at is null;
