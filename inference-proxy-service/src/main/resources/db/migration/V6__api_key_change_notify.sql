-- Every proxy replica keeps the API keys it verified for a few seconds (keys/ApiKeyCache, ADR 0017) and LISTENs on
-- parley_api_keys: a change that can make a cached key wrong (revoked, deleted, its owner or secret changed) notifies
-- the key's id, by whatever path it was made (the proxy's DELETE /v1/keys/{id}, an operator's SQL, a claim of a legacy
-- key), and each replica drops that key at once. The notification is sent when the transaction commits.
-- The WHEN clause leaves out the update that only records last_used_at (it runs on every database verification).
create function api_keys_notify_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('parley_api_keys', old.id);
    return null;
end
$$;

create trigger api_keys_changed after update on api_keys for each row
    when (old.revoked_at is distinct from new.revoked_at or old.owner_sub is distinct from new.owner_sub
        or old.owner is distinct from new.owner or old.secret_sha256 is distinct from new.secret_sha256
        or old.id is distinct from new.id)
    execute function api_keys_notify_change();

create trigger api_keys_deleted after delete on api_keys for each row execute function api_keys_notify_change();
