-- name: list_invoices_with_items_by_issue_date_asc
-- params: business_id, issued_from, issued_to, updated_since, statuses, after_key, after_id, limit
-- returns: rows (id, issue_date, line, items, max_len): list_invoices_by_issue_date_asc with each
--          invoice's items beside it (sql/fragments/invoice_items_column.sql), for
--          include=items: one statement per page. A statement of its own: the
--          items subquery costs planning time even where a flag skips it.
SELECT id, issue_date,
       -- include: invoice_line
       AS line,
       -- include: invoice_items_column
-- include: invoices_page_issue_date_asc
