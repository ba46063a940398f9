-- Daily rollups written by the retention job before raw rows older than the retention window are
-- deleted. One row per UTC day and (user, model, source, status), the dimensions summaries filter
-- and group by. NULL dimensions are stored as '' so the key can be unique.
-- Percentiles are stored per row; a summary over several rollup rows combines them as the
-- count-weighted mean of the stored percentiles (an approximation, see docs in the service).
CREATE TABLE usage_daily (
    day                     DATE             NOT NULL,
    user_id                 TEXT             NOT NULL DEFAULT '',
    model                   TEXT             NOT NULL,
    source                  TEXT             NOT NULL DEFAULT '',
    status                  TEXT             NOT NULL,
    calls                   BIGINT           NOT NULL,
    prompt_tokens           BIGINT           NOT NULL,
    completion_tokens       BIGINT           NOT NULL,
    ttft_count              BIGINT           NOT NULL,
    ttft_p50_ms             DOUBLE PRECISION,
    ttft_p95_ms             DOUBLE PRECISION,
    latency_count           BIGINT           NOT NULL,
    latency_p50_ms          DOUBLE PRECISION,
    latency_p95_ms          DOUBLE PRECISION,
    tokens_per_sec_sum      DOUBLE PRECISION NOT NULL,
    tokens_per_sec_count    BIGINT           NOT NULL,
    rolled_up_at            TIMESTAMPTZ      NOT NULL DEFAULT now(),
    CONSTRAINT usage_daily_pkey PRIMARY KEY (day, user_id, model, source, status)
);

CREATE INDEX usage_daily_user_idx ON usage_daily (user_id, day);
CREATE INDEX usage_daily_model_idx ON usage_daily (model, day);
