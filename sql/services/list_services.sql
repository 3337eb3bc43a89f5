-- name: list_services
-- params: business_id, active_a, active_b, after_name, after_id, limit
-- returns: rows (id, name, line) of one business, by name then id, after the keyset
--          position (after_name, after_id); is_active is active_a or active_b: 0 and 1, 1 and 1,
--          or 0 and 0 (two values, not a list: the statement is prepared once). line is the
--          service object of /services as one compact JSON text (is_active true for any
--          non-zero value; timestamps as in sql/fragments/invoice_line.sql)
--          Rows only while the business exists and is not deleted (b: one row read
--          by its primary key while the statement is planned, cheaper than an EXISTS
--          subquery; a derived table, so that the shared timestamp fragment's columns
--          stay the service's): an empty result is the caller's cue to tell a 404 from an empty
--          page, so a non-empty page costs no separate lookup.
SELECT s.id, s.name,
       CONCAT('{"id":', JSON_QUOTE(s.id),
              ',"business_id":', JSON_QUOTE(s.business_id),
              ',"name":', JSON_QUOTE(s.name),
              ',"description":', IFNULL(JSON_QUOTE(s.description), 'null'),
              ',"duration_minutes":', s.duration_minutes,
              ',"price":"', s.price,
              '","currency":', JSON_QUOTE(s.currency),
              ',"is_active":', IF(s.is_active, 'true', 'false'),
              -- include: created_updated_fields
              '}') AS line
  FROM (SELECT 1 AS live FROM businesses
         WHERE id = %(business_id)s AND deleted_at IS NULL) b,
       services s FORCE INDEX (ix_services_business_name)
 WHERE s.business_id = %(business_id)s
   AND s.deleted_at IS NULL
   AND s.name >= %(after_name)s
   AND (s.name > %(after_name)s OR s.id > %(after_id)s)
   AND s.is_active IN (%(active_a)s, %(active_b)s)
 ORDER BY s.name, s.id
 LIMIT %(limit)s
