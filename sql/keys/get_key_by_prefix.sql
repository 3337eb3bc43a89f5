-- name: get_key_by_prefix
-- params: prefix
-- returns: row (id, prefix, key_hash, scopes, expires_at, revoked_at, last_used_at,
--          business_ids: comma-separated ids the key is restricted to, or NULL for all)
SELECT k.id, k.prefix, k.key_hash, k.scopes, k.expires_at, k.revoked_at, k.last_used_at,
       (SELECT GROUP_CONCAT(b.business_id ORDER BY b.business_id)
          FROM api_key_businesses b
         WHERE b.api_key_id = k.id) AS business_ids
  FROM api_keys k
 WHERE k.prefix = %(prefix)s
