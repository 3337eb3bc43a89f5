-- fragment: template_line
-- An invoice template as /businesses shows it, as one compact JSON text (is_default
-- true for any non-zero value; timestamps as in sql/fragments/invoice_line.sql).
CONCAT('{"id":', JSON_QUOTE(id),
       ',"name":', JSON_QUOTE(name),
       ',"is_default":', IF(is_default, 'true', 'false'),
       ',"payment_terms_days":', IFNULL(payment_terms_days, 'null'),
       ',"notes":', IFNULL(JSON_QUOTE(notes), 'null'),
       ',"footer":', IFNULL(JSON_QUOTE(footer), 'null'),
       -- include: created_updated_fields
       '}')
