-- fragment: invoices_scan_issue_date_asc
-- FROM and the filters of every statement that walks one business's invoices by
-- issue_date ASC, then id ASC, after the keyset position (after_key, after_id):
-- the /invoices pages (sql/fragments/invoices_page_issue_date_asc.sql) and the exports
-- (export_invoices_*_by_issue_date_asc). Optional filters arrive as wide sentinels (issued
-- 1000-01-01..9999-12-31, updated_since 1000-01-01, every status) so that the
-- statement never changes shape.
-- FORCE INDEX: MariaDB's ORDER BY ... LIMIT optimisation otherwise leaves the range for
-- a (business_id, deleted_at) ref and reads every row before a deep page (see
-- docs/schema.md). The keyset test is spelt as an OR of ranges so that id bounds the
-- range too: a descending scan gets no index condition pushdown, and would otherwise
-- read every row sharing the cursor's key before the page.
  FROM invoices FORCE INDEX (ix_invoices_issue_date)
 WHERE business_id = %(business_id)s
   AND deleted_at IS NULL
   AND (issue_date > %(after_key)s OR (issue_date = %(after_key)s AND id > %(after_id)s))
   AND issue_date BETWEEN %(issued_from)s AND %(issued_to)s
   AND updated_at >= %(updated_since)s
   AND status IN %(statuses)s
