-- name: expire_key
-- params: prefix, expires_at
-- returns: nothing (rows affected: 1 when a live key's expiry was set or brought forward)
-- Never extends a key's life: a key that already expires sooner keeps its expiry.
UPDATE api_keys SET expires_at = %(expires_at)s
 WHERE prefix = %(prefix)s AND revoked_at IS NULL
   AND (expires_at IS NULL OR expires_at > %(expires_at)s)
