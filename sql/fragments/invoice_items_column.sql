-- fragment: invoice_items_column
-- Two columns for a statement over `invoices` that takes with_items (0 or 1): items, with
-- with_items = 1, the invoice's line items (sql/fragments/item_line.sql) by position,
-- then id, joined with commas (the inside of its "items" array; NULL when it has none),
-- read by a correlated subquery from ix_invoice_items_page alone; with with_items = 0,
-- NULL, and the subquery is not run. max_len is the session's group_concat_max_len (NULL
-- without items): a text that reaches it may have been cut (the server only warns), and
-- the caller reads that invoice's items with list_invoice_items instead. Inside the subquery the
-- fragment's bare column names are the item's.
IF(%(with_items)s,
   (SELECT GROUP_CONCAT(
           -- include: item_line
           ORDER BY position, id SEPARATOR ',')
      FROM invoice_items
     WHERE invoice_items.invoice_id = invoices.id),
   NULL) AS items,
IF(%(with_items)s, @@SESSION.group_concat_max_len, NULL) AS max_len
