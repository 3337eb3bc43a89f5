-- name: list_services
-- params: business_id, active, after_name, after_id, limit
-- returns: rows (id, name, line) of one business, by name then id, after the keyset
--          position (after_name, after_id); active is (0, 1), (1,) or (0,). line is the
--          service object of /services as one compact JSON text (is_active true for any
--          non-zero value; timestamps as in sql/fragments/invoice_line.sql)
--          Rows only while the business exists and is not deleted (a constant
--          subquery, read once): an empty result is the caller's cue to tell a 404
--          from an empty page, so a non-empty page costs no separate lookup.
SELECT id, name,
       CONCAT('{"id":', JSON_QUOTE(id),
              ',"business_id":', JSON_QUOTE(business_id),
              ',"name":', JSON_QUOTE(name),
              ',"description":', IFNULL(JSON_QUOTE(description), 'null'),
              ',"duration_minutes":', duration_minutes,
              ',"price":"', price,
              '","currency":', JSON_QUOTE(currency),
              ',"is_active":', IF(is_active, 'true', 'false'),
              -- include: created_updated_fields
              '}') AS line
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
