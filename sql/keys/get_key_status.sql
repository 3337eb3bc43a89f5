-- name: get_key_status
-- params: prefix
-- returns: row (prefix, revoked_at)
SELECT prefix, revoked_at FROM api_keys WHERE prefix = %(prefix)s
