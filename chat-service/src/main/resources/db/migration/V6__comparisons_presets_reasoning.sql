-- Issue 16. Comparisons: one prompt sent to 2-4 models at once. Each column is an ordinary chat session (its own turn,
-- streamed, stopped and resumed like any other, on any replica) linked to its comparison; such sessions are left out
-- of the chat list and deleted with their comparison. "Continue with this one" forks a column into a normal chat
-- (ADR 0020).
CREATE TABLE chat_comparisons (
    id         UUID PRIMARY KEY,
    owner_sub  VARCHAR(255) NOT NULL,
    user_id    VARCHAR(255) NOT NULL,
    title      VARCHAR(200),
    prompt     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX chat_comparisons_owner_created ON chat_comparisons (owner_sub, created_at DESC);

ALTER TABLE chat_sessions ADD COLUMN comparison_id UUID REFERENCES chat_comparisons (id) ON DELETE CASCADE;
-- the column's place in its comparison, from 0
ALTER TABLE chat_sessions ADD COLUMN comparison_position SMALLINT;
CREATE INDEX chat_sessions_comparison ON chat_sessions (comparison_id, comparison_position)
    WHERE comparison_id IS NOT NULL;

-- Reasoning output (vLLM's reasoning_content / reasoning deltas, Anthropic thinking blocks), kept apart from the
-- answer; its token count is in usage_json (completion_tokens_details.reasoning_tokens) and metrics_json.
ALTER TABLE chat_messages ADD COLUMN reasoning TEXT;

-- Presets: named parameters (system prompt included) and turn envelope of one user (by subject, ADR 0011).
CREATE TABLE chat_presets (
    id            UUID PRIMARY KEY,
    owner_sub     VARCHAR(255) NOT NULL,
    user_id       VARCHAR(255) NOT NULL,
    name          VARCHAR(100) NOT NULL,
    params_json   JSONB NOT NULL,
    envelope_json JSONB,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX chat_presets_owner_name ON chat_presets (owner_sub, name);
