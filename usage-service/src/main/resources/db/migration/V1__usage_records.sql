-- One row per call recorded by the inference proxy (BRIEF §6). request_id is the idempotency key:
-- ingest uses INSERT ... ON CONFLICT (request_id) DO NOTHING, so a redelivered event is counted once.
CREATE TABLE usage_records (
    request_id        TEXT             NOT NULL,
    occurred_at       TIMESTAMPTZ      NOT NULL,
    received_at       TIMESTAMPTZ      NOT NULL DEFAULT now(),
    user_id           TEXT,
    org_id            TEXT,
    api_key_id        TEXT,
    model             TEXT             NOT NULL,
    engine_type       TEXT,
    deployment        TEXT,
    endpoint_kind     TEXT,
    stream            BOOLEAN          NOT NULL DEFAULT FALSE,
    prompt_tokens     INTEGER          NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens INTEGER          NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    ttft_ms           DOUBLE PRECISION CHECK (ttft_ms >= 0),
    latency_ms        DOUBLE PRECISION CHECK (latency_ms >= 0),
    tokens_per_sec    DOUBLE PRECISION CHECK (tokens_per_sec >= 0),
    status            TEXT             NOT NULL CHECK (status IN ('ok', 'error', 'cancelled')),
    error_type        TEXT,
    correlation_id    TEXT,
    metadata          JSONB            NOT NULL DEFAULT '{}'::jsonb,
    source            TEXT,
    attachments       JSONB            NOT NULL DEFAULT '[]'::jsonb,
    CONSTRAINT usage_records_pkey PRIMARY KEY (request_id)
);

-- Keyset paging (newest first) and time-range scans.
CREATE INDEX usage_records_time_idx ON usage_records (occurred_at DESC, request_id DESC);
-- The common filters, each with the paging order so a filtered page is an index range scan.
CREATE INDEX usage_records_user_time_idx ON usage_records (user_id, occurred_at DESC, request_id DESC);
CREATE INDEX usage_records_model_time_idx ON usage_records (model, occurred_at DESC, request_id DESC);
CREATE INDEX usage_records_correlation_idx ON usage_records (correlation_id) WHERE correlation_id IS NOT NULL;
