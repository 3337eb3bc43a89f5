-- name: list_invoice_items
-- params: invoice_ids
-- returns: rows (id, invoice_id, position, service_id, description, quantity, unit_price,
--          tax_rate, amount) of the given invoices, by invoice then position: one query
--          for a whole page of invoices
SELECT id, invoice_id, position, service_id, description, quantity, unit_price, tax_rate, amount
  FROM invoice_items
 WHERE invoice_id IN %(invoice_ids)s
 ORDER BY invoice_id, position, id
