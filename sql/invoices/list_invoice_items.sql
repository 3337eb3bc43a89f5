-- name: list_invoice_items
-- params: invoice_ids
-- returns: rows (invoice_id, line) of the given invoices' items, by invoice then position:
--          line is the item object of /invoices as one compact JSON text
--          (sql/fragments/item_line.sql). One query for a chunk of an export, or for
--          the invoices of a page whose items text was cut
--          (sql/fragments/invoice_items_column.sql). Read from ix_invoice_items_page alone.
SELECT invoice_id,
       -- include: item_line
       AS line
  FROM invoice_items
 WHERE invoice_id IN %(invoice_ids)s
 ORDER BY invoice_id, position, id
