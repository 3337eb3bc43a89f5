-- name: list_services
-- params: business_id, active, after_name, after_id, limit
-- returns: rows (id, business_id, name, description, duration_minutes, price, currency,
--          is_active, created_at, updated_at) of one business, by name then id, after the
--          keyset position (after_name, after_id); active is (0, 1), (1,) or (0,)
--          Rows only while the business exists and is not deleted (a constant
--          subquery, read once): an empty result is the caller's cue to tell a 404
--          from an empty page, so a non-empty page costs no separate lookup.
SELECT id, business_id, name, description, duration_minutes, price, currency, is_active,
       created_at, updated_at
  FROM services FORCE INDEX (ix_services_business_name)
 WHERE business_id = %(business_id)s
   AND deleted_at IS NULL
   AND name >= %(after_name)s
   AND (name > %(after_name)s OR id > %(after_id)s)
   AND is_active IN %(active)s
   AND EXISTS (SELECT 1 FROM businesses b
                WHERE b.id = %(business_id)s AND b.deleted_at IS NULL)
 ORDER BY name, id
 LIMIT %(limit)s
