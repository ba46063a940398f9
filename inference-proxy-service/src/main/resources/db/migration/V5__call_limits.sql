-- Call limits shared by the proxy's replicas (limits/SharedLimits). Each replica decides on its own, from memory, and
-- every parley.proxy.limits.sync-interval adds what it admitted since its last sync to these rows and reads back what
-- all replicas admitted, so a limit holds across replicas within the bound documented in the proxy's README.

-- Requests and tokens per subject ('user:<id>' or 'api_key:<id>') and minute (minutes since the epoch), summed over
-- replicas; rows older than two minutes are deleted by the next sync.
create table call_limit_window (
    subject       varchar(300) not null,
    window_minute bigint       not null,
    requests      bigint       not null default 0,
    tokens        bigint       not null default 0,
    primary key (subject, window_minute)
);

-- Calls in flight per replica and subject: a lease each replica renews at every sync; a replica that stops renewing
-- (crashed, killed) no longer counts once expires_at has passed, and its rows are deleted by the next sync of another.
create table call_limit_lease (
    replica    varchar(64)  not null,
    subject    varchar(300) not null,
    in_flight  integer      not null,
    expires_at timestamptz  not null,
    primary key (replica, subject)
);

create index call_limit_lease_subject on call_limit_lease (subject, expires_at);
