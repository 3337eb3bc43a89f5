-- fragment: business_line
-- A business as /businesses shows it, without its invoice_templates (the caller adds
-- them before the closing brace), as one compact JSON text; timestamps as in
-- sql/fragments/invoice_line.sql.
CONCAT('{"id":', JSON_QUOTE(id),
       ',"name":', JSON_QUOTE(name),
       ',"legal_name":', IFNULL(JSON_QUOTE(legal_name), 'null'),
       ',"email":', IFNULL(JSON_QUOTE(email), 'null'),
       ',"phone":', IFNULL(JSON_QUOTE(phone), 'null'),
       ',"country":', IFNULL(JSON_QUOTE(country), 'null'),
       ',"currency":', JSON_QUOTE(currency),
       ',"timezone":', JSON_QUOTE(timezone),
       -- include: created_updated_fields
       '}')
