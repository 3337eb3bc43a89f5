-- name: list_key_businesses
-- params: after_id, key_id, limit
-- returns: rows (id, line, templates, max_len) of the live businesses listed for key_id
--          (a restricted key), ordered by id, after the keyset position after_id;
--          columns as in list_businesses.
--          Read from the key's links in their primary key's order, each business by
--          its own: a statement of its own, as one "restricted = 0 OR id IN (...)"
--          statement for both kinds of key cost every unrestricted page the
--          subquery's planning.
SELECT id,
       -- include: business_line
       AS line,
       -- include: business_templates
  FROM api_key_businesses k
  JOIN businesses ON businesses.id = k.business_id
 WHERE k.api_key_id = %(key_id)s
   AND k.business_id > %(after_id)s
   AND businesses.deleted_at IS NULL
 ORDER BY k.business_id
 LIMIT %(limit)s
