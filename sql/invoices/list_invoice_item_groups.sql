-- name: list_invoice_item_groups
-- params: invoice_ids
-- returns: rows (invoice_id, items, max_len), one per given invoice that has items:
--          items is its item objects (sql/fragments/item_line.sql) by position, then
--          id, joined with commas: the inside of its "items" array. max_len is the
--          session's group_concat_max_len: a text that reaches it may have been cut
--          (the server only warns), and the caller reads that invoice's items with
--          list_invoice_items instead. One query, and a third of the rows, for a page
--          of invoices; read from ix_invoice_items_page alone, in its order.
SELECT invoice_id,
       GROUP_CONCAT(
       -- include: item_line
       ORDER BY position, id SEPARATOR ',') AS items,
       @@SESSION.group_concat_max_len AS max_len
  FROM invoice_items
 WHERE invoice_id IN %(invoice_ids)s
 GROUP BY invoice_id
