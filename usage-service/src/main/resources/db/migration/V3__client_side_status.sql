-- Usage as the client saw it (issue #19): two more statuses, and the response bytes that reached the client.
--   client_disconnected: the upstream answered in full but the client left before the proxy wrote the last byte;
--   interrupted: the proxy stopped (its drain time ran out, or a crash reconstructed from its spool) before the end.
ALTER TABLE usage_records DROP CONSTRAINT IF EXISTS usage_records_status_check;
ALTER TABLE usage_records ADD CONSTRAINT usage_records_status_check
    CHECK (status IN ('ok', 'error', 'cancelled', 'client_disconnected', 'interrupted'));
-- null when unknown (events of older proxies, calls that never started a body)
ALTER TABLE usage_records ADD COLUMN bytes_delivered BIGINT CHECK (bytes_delivered >= 0);
