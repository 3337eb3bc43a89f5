-- name: list_businesses
-- params: after_id, limit
-- returns: rows (id, line) of every live business, ordered by id, after the keyset
--          position after_id (for a key that may read every business). line is the
--          business as compact JSON, without its templates (sql/fragments/business_line.sql)
SELECT id,
       -- include: business_line
       AS line
  FROM businesses
 WHERE deleted_at IS NULL
   AND id > %(after_id)s
 ORDER BY id
 LIMIT %(limit)s
