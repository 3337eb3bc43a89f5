-- name: list_invoice_templates
-- params: business_ids
-- returns: rows (business_id, line) of the given businesses, by business, then name, then
--          id: line is the template object of /businesses as one compact JSON text
--          (is_default true for any non-zero value; timestamps as in
--          sql/fragments/invoice_line.sql)
SELECT business_id,
       CONCAT('{"id":', JSON_QUOTE(id),
              ',"name":', JSON_QUOTE(name),
              ',"is_default":', IF(is_default, 'true', 'false'),
              ',"payment_terms_days":', IFNULL(payment_terms_days, 'null'),
              ',"notes":', IFNULL(JSON_QUOTE(notes), 'null'),
              ',"footer":', IFNULL(JSON_QUOTE(footer), 'null'),
              -- include: created_updated_fields
              '}') AS line
  FROM invoice_templates
 WHERE business_id IN %(business_ids)s
   AND deleted_at IS NULL
 ORDER BY business_id, name, id
