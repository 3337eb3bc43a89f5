-- name: list_keys
-- params: none
-- returns: rows (prefix, name, scopes, business_ids, created_at, expires_at, revoked_at,
--          last_used_at); never hashes
SELECT k.prefix, k.name, k.scopes, k.created_at, k.expires_at, k.revoked_at, k.last_used_at,
       (SELECT GROUP_CONCAT(b.business_id ORDER BY b.business_id)
          FROM api_key_businesses b
         WHERE b.api_key_id = k.id) AS business_ids
  FROM api_keys k
 ORDER BY k.created_at, k.id
