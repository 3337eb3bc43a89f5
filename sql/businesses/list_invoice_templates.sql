-- name: list_invoice_templates
-- params: business_ids
-- returns: rows (business_id, line) of the given businesses, by business, then name, then
--          id: line is the template object of /businesses as one compact JSON text
--          (sql/fragments/template_line.sql). For the businesses whose templates text
--          (sql/fragments/business_templates.sql) reached the length limit.
SELECT business_id,
       -- include: template_line
       AS line
  FROM invoice_templates
 WHERE business_id IN %(business_ids)s
   AND deleted_at IS NULL
 ORDER BY business_id, name, id
