-- name: list_businesses
-- params: after_id, restricted, key_id, limit
-- returns: rows (id, line) ordered by id, after the keyset position after_id; with
--          restricted = 1 only the businesses listed for key_id. line is the business as
--          compact JSON, without its templates (sql/fragments/business_line.sql)
SELECT id,
       -- include: business_line
       AS line
  FROM businesses
 WHERE deleted_at IS NULL
   AND id > %(after_id)s
   AND (%(restricted)s = 0
        OR id IN (SELECT business_id FROM api_key_businesses WHERE api_key_id = %(key_id)s))
 ORDER BY id
 LIMIT %(limit)s
