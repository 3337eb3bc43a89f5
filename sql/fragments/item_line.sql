-- fragment: item_line
-- A line item as /invoices shows it, as one compact JSON text (quantity with three
-- places, money with two: the DECIMALs' own text).
CONCAT('{"id":', JSON_QUOTE(id), ',"position":', position,
       ',"service_id":', IFNULL(JSON_QUOTE(service_id), 'null'),
       ',"description":', JSON_QUOTE(description),
       ',"quantity":"', quantity, '","unit_price":"', unit_price,
       '","tax_rate":"', tax_rate, '","amount":"', amount, '"}')
