-- name: revoke_key
-- params: prefix
-- returns: nothing (rows affected: 1 when a live key was revoked)
UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(6)
 WHERE prefix = %(prefix)s AND revoked_at IS NULL
