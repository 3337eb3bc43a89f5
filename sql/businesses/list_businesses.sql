-- name: list_businesses
-- params: after_id, restricted, key_id, limit
-- returns: rows (id, name, legal_name, email, phone, country, currency, timezone,
--          created_at, updated_at) ordered by id, after the keyset position after_id;
--          with restricted = 1 only the businesses listed for key_id
SELECT id, name, legal_name, email, phone, country, currency, timezone, created_at, updated_at
  FROM businesses
 WHERE deleted_at IS NULL
   AND id > %(after_id)s
   AND (%(restricted)s = 0
        OR id IN (SELECT business_id FROM api_key_businesses WHERE api_key_id = %(key_id)s))
 ORDER BY id
 LIMIT %(limit)s
