-- name: list_keys
-- params: none
-- returns: rows (prefix, name, scopes, restricted, business_ids, created_at, expires_at,
--          revoked_at, last_used_at); never hashes
-- Zero dates in expires_at/revoked_at read as long past, as in get_key_by_prefix.
SELECT k.prefix, k.name, k.scopes, k.restricted, k.created_at,
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
 ORDER BY k.created_at, k.id
