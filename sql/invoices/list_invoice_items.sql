-- name: list_invoice_items
-- params: invoice_ids
-- returns: rows (invoice_id, line) of the given invoices' items, by invoice then position:
--          line is the item object of /invoices as one compact JSON text (quantity with
--          three places, money with two: the DECIMALs' own text). One query for a whole
--          page of invoices, or a chunk of an export.
SELECT invoice_id,
       CONCAT('{"id":', JSON_QUOTE(id), ',"position":', position,
              ',"service_id":', IFNULL(JSON_QUOTE(service_id), 'null'),
              ',"description":', JSON_QUOTE(description),
              ',"quantity":"', quantity, '","unit_price":"', unit_price,
              '","tax_rate":"', tax_rate, '","amount":"', amount, '"}') AS line
  FROM invoice_items
 WHERE invoice_id IN %(invoice_ids)s
 ORDER BY invoice_id, position, id
