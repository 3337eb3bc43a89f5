-- name: list_invoices_by_issue_date_desc
-- params: business_id, issued_from, issued_to, updated_since, statuses, after_key, after_id, limit
-- returns: rows (id, issue_date, line) of one business, ordered by issue_date DESC, then id
--          DESC, line the invoice as compact JSON (sql/fragments/invoice_line.sql),
--          after the keyset position (after_key, after_id); the FROM to LIMIT, and why
--          it is written so, in sql/fragments/invoices_page_issue_date_desc.sql.
SELECT id, issue_date,
       -- include: invoice_line
       AS line
-- include: invoices_page_issue_date_desc
