-- name: touch_key_last_used
-- params: key_id
-- returns: nothing
-- The service's only write; needs UPDATE(last_used_at) on api_keys.
UPDATE api_keys SET last_used_at = UTC_TIMESTAMP(6) WHERE id = %(key_id)s
