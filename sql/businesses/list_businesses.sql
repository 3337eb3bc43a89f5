-- name: list_businesses
-- params: after_id, limit
-- returns: rows (id, line, templates, max_len) of every live business, ordered by id,
--          after the keyset position after_id (for a key that may read every business).
--          line is the business as compact JSON, without its templates
--          (sql/fragments/business_line.sql); templates and max_len as in
--          sql/fragments/business_templates.sql: a page and its templates in one statement.
SELECT id,
       -- include: business_line
       AS line,
       -- include: business_templates
  FROM businesses
 WHERE deleted_at IS NULL
   AND id > %(after_id)s
 ORDER BY id
 LIMIT %(limit)s
