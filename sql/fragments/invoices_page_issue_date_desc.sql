-- fragment: invoices_page_issue_date_desc
-- FROM to LIMIT of the /invoices page statements ordered by issue_date DESC, then
-- id DESC (list_invoices_by_issue_date_desc, list_invoices_with_items_by_issue_date_desc):
-- one business's invoices after the keyset position (after_key, after_id); optional
-- filters arrive as wide sentinels (issued 1000-01-01..9999-12-31, updated_since
-- 1000-01-01, every status) so that the statement never changes shape.
-- FORCE INDEX: MariaDB's ORDER BY ... LIMIT optimisation otherwise leaves the range for
-- a (business_id, deleted_at) ref and reads every row before a deep page (see
-- docs/schema.md). The keyset test is spelt as an OR of ranges so that id bounds the
-- range too: a descending scan gets no index condition pushdown, and would otherwise
-- read every row sharing the cursor's date before the page.
-- Rows only while the business exists and is not deleted (a constant subquery, read
-- once): an empty result is the caller's cue to tell a 404 from an empty page, so a
-- non-empty page costs no separate lookup.
  FROM invoices FORCE INDEX (ix_invoices_issue_date)
 WHERE business_id = %(business_id)s
   AND deleted_at IS NULL
   AND (issue_date < %(after_key)s OR (issue_date = %(after_key)s AND id < %(after_id)s))
   AND issue_date BETWEEN %(issued_from)s AND %(issued_to)s
   AND updated_at >= %(updated_since)s
   AND status IN %(statuses)s
   AND MONTH(issue_date) > 0 AND DAYOFMONTH(issue_date) > 0  -- a partly zero date has no position
   AND EXISTS (SELECT 1 FROM businesses b
                WHERE b.id = %(business_id)s AND b.deleted_at IS NULL)
 ORDER BY issue_date DESC, id DESC
 LIMIT %(limit)s
