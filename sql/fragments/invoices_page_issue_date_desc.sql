-- fragment: invoices_page_issue_date_desc
-- FROM to LIMIT of the /invoices page statements ordered by issue_date DESC, then
-- id DESC (list_invoices_by_issue_date_desc, list_invoices_with_items_by_issue_date_desc):
-- the scan and filters of sql/fragments/invoices_scan_issue_date_desc.sql; then rows only while the business exists and is not deleted (a constant subquery, read
-- once): an empty result is the caller's cue to tell a 404 from an empty page, so a
-- non-empty page costs no separate lookup.
  -- include: invoices_scan_issue_date_desc
   AND MONTH(issue_date) > 0 AND DAYOFMONTH(issue_date) > 0  -- a partly zero date has no position
   AND EXISTS (SELECT 1 FROM businesses b
                WHERE b.id = %(business_id)s AND b.deleted_at IS NULL)
 ORDER BY issue_date DESC, id DESC
 LIMIT %(limit)s
