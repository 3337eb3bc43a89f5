-- fragment: invoice_items_column
-- Two columns for a statement over `invoices`: items, the invoice's line items
-- (sql/fragments/item_line.sql) by position, then id, joined with commas (the inside of
-- its "items" array; NULL when it has none), read by a correlated subquery from
-- ix_invoice_items_page alone; and max_len, the session's group_concat_max_len: a text
-- that reaches it may have been cut (the server only warns), and the caller reads that
-- invoice's items with list_invoice_items instead. Inside the subquery the fragment's
-- bare column names are the item's.
(SELECT GROUP_CONCAT(
        -- include: item_line
        ORDER BY position, id SEPARATOR ',')
   FROM invoice_items
  WHERE invoice_items.invoice_id = invoices.id) AS items,
@@SESSION.group_concat_max_len AS max_len
