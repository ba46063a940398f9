-- Turns shared between replicas through PostgreSQL (ADR 0006). A running turn has one row in chat_turns, held by
-- the replica that calls the proxy for it (owner) under a lease that replica renews; its events (message_start,
-- delta, metrics, error, message_end) are appended to chat_turn_events with a per-turn sequence number, so any
-- replica replays them (Last-Event-ID) and follows them live (LISTEN/NOTIFY wakes it). A stop received anywhere sets
-- stop_requested_at (and notifies the owner). The turn's id is the id of its assistant message; the row is inserted
-- first, before any message (it claims the session's one running turn), so it has no foreign key to chat_messages.
CREATE TABLE chat_turns (
    id                UUID PRIMARY KEY,
    session_id        UUID NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    owner             VARCHAR(255) NOT NULL,
    lease_until       TIMESTAMPTZ NOT NULL,
    stop_requested_at TIMESTAMPTZ,
    started_at        TIMESTAMPTZ NOT NULL,
    ended_at          TIMESTAMPTZ
);

-- one turn at a time per chat: a second running turn in a session fails this index (409 turn_in_progress)
CREATE UNIQUE INDEX chat_turns_one_running_per_session ON chat_turns (session_id) WHERE ended_at IS NULL;
-- the lease sweep looks for running turns whose lease ran out
CREATE INDEX chat_turns_running_lease ON chat_turns (lease_until) WHERE ended_at IS NULL;
CREATE INDEX chat_turns_ended ON chat_turns (ended_at) WHERE ended_at IS NOT NULL;

CREATE TABLE chat_turn_events (
    turn_id    UUID NOT NULL REFERENCES chat_turns (id) ON DELETE CASCADE,
    seq        INT NOT NULL CHECK (seq > 0),
    name       VARCHAR(32) NOT NULL,
    data       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (turn_id, seq)
);
