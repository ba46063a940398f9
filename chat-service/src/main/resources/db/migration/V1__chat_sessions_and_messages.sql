-- Chat sessions and messages (BRIEF §5). Every query is scoped to the owning user (user_id).
CREATE TABLE chat_sessions (
    id               UUID PRIMARY KEY,
    user_id          VARCHAR(255) NOT NULL,
    title            VARCHAR(200),
    model_name       VARCHAR(255) NOT NULL,
    engine_type      VARCHAR(64),
    constraints_json JSONB,
    params_json      JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

CREATE INDEX chat_sessions_user_updated ON chat_sessions (user_id, updated_at DESC);

CREATE TABLE chat_messages (
    id              UUID PRIMARY KEY,
    session_id      UUID NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    role            VARCHAR(16) NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content         TEXT NOT NULL DEFAULT '',
    status          VARCHAR(16) NOT NULL CHECK (status IN ('complete', 'streaming', 'stopped', 'error')),
    error           TEXT,
    metrics_json    JSONB,
    usage_json      JSONB,
    parent_id       UUID REFERENCES chat_messages (id) ON DELETE CASCADE,
    idempotency_key VARCHAR(200),
    created_at      TIMESTAMPTZ NOT NULL,
    -- insertion order; timestamps can tie
    seq             BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX chat_messages_session_created ON chat_messages (session_id, seq);
CREATE INDEX chat_messages_parent ON chat_messages (parent_id);
CREATE UNIQUE INDEX chat_messages_idempotency ON chat_messages (session_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
