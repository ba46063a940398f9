-- Turn envelope and attachments (docs/architecture.md, chat-service). The envelope (endpoint mode, correlation id,
-- metadata, overrides) is stored on the user message it came with; NULL when every value is the default.
ALTER TABLE chat_messages ADD COLUMN envelope_json JSONB;

-- Files sent with a user message: stored in the same transaction as the message, re-sent with the history on later
-- turns, served back only to the session's owner. Deleting a message (or its session) deletes its attachments.
CREATE TABLE chat_attachments (
    id         UUID PRIMARY KEY,
    message_id UUID NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    name       VARCHAR(255) NOT NULL,
    mime_type  VARCHAR(255) NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256     CHAR(64) NOT NULL,
    data       BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    -- order within a message
    seq        BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX chat_attachments_message ON chat_attachments (message_id, seq);
