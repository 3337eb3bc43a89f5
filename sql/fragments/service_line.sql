-- fragment: service_line
-- The service object of /services as one compact JSON text (is_active true for any
-- non-zero value; timestamps as in sql/fragments/invoice_line.sql), from services s.
-- The caller names it: `AS line`.
CONCAT('{"id":', JSON_QUOTE(s.id),
       ',"business_id":', JSON_QUOTE(s.business_id),
       ',"name":', JSON_QUOTE(s.name),
       ',"description":', IFNULL(JSON_QUOTE(s.description), 'null'),
       ',"duration_minutes":', s.duration_minutes,
       ',"price":"', s.price,
       '","currency":', JSON_QUOTE(s.currency),
       ',"is_active":', IF(s.is_active, 'true', 'false'),
       -- include: created_updated_fields
       '}')
