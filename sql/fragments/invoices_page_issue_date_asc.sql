-- fragment: invoices_page_issue_date_asc
-- FROM to LIMIT of the /invoices page statements ordered by issue_date ASC, then
-- id ASC (list_invoices_by_issue_date_asc, list_invoices_with_items_by_issue_date_asc):
-- the scan and filters of sql/fragments/invoices_scan_issue_date_asc.sql; then rows only while the business exists and is not deleted (a constant subquery, read
-- once): an empty result is the caller's cue to tell a 404 from an empty page, so a
-- non-empty page costs no separate lookup.
  -- include: invoices_scan_issue_date_asc
   AND MONTH(issue_date) > 0 AND DAYOFMONTH(issue_date) > 0  -- a partly zero date has no position
   AND EXISTS (SELECT 1 FROM businesses b
                WHERE b.id = %(business_id)s AND b.deleted_at IS NULL)
 ORDER BY issue_date ASC, id ASC
 LIMIT %(limit)s
