-- name: get_key_by_prefix
-- params: prefix
-- returns: row (id, prefix, name, key_hash, scopes, restricted, created_at, expires_at,
--          revoked_at, last_used_at, business_ids: comma-separated ids of its api_key_businesses
--          rows, or NULL; with restricted = 1 and no rows the key reads nothing)
-- A zero date in expires_at or revoked_at (a lax sql_mode lets the PHP side store
-- '0000-00-00 00:00:00') is no instant, and the driver reads it as NULL: it is read
-- here as long past instead, so that such a key fails closed (expired, revoked).
-- `x + INTERVAL 0 SECOND` is NULL exactly for zero and partly zero dates.
SELECT k.id, k.prefix, k.name, k.key_hash, k.scopes, k.restricted, k.created_at,
       CASE WHEN k.expires_at IS NULL THEN NULL
            ELSE COALESCE(k.expires_at + INTERVAL 0 SECOND, TIMESTAMP '1000-01-01 00:00:00')
       END AS expires_at,
       CASE WHEN k.revoked_at IS NULL THEN NULL
            ELSE COALESCE(k.revoked_at + INTERVAL 0 SECOND, TIMESTAMP '1000-01-01 00:00:00')
       END AS revoked_at,
       k.last_used_at,
       (SELECT GROUP_CONCAT(b.business_id ORDER BY b.business_id)
          FROM api_key_businesses b
         WHERE b.api_key_id = k.id) AS business_ids
  FROM api_keys k
 WHERE k.prefix = %(prefix)s
