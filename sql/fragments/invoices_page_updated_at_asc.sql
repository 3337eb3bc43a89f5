-- fragment: invoices_page_updated_at_asc
-- FROM to LIMIT of the /invoices page statements ordered by updated_at ASC, then
-- id ASC (list_invoices_by_updated_at_asc, list_invoices_with_items_by_updated_at_asc):
-- the scan and filters of sql/fragments/invoices_scan_updated_at_asc.sql; then rows only while the business exists and is not deleted (a constant subquery, read
-- once): an empty result is the caller's cue to tell a 404 from an empty page, so a
-- non-empty page costs no separate lookup.
  -- include: invoices_scan_updated_at_asc
   AND MONTH(updated_at) > 0 AND DAYOFMONTH(updated_at) > 0  -- a partly zero date has no position
   AND EXISTS (SELECT 1 FROM businesses b
                WHERE b.id = %(business_id)s AND b.deleted_at IS NULL)
 ORDER BY updated_at ASC, id ASC
 LIMIT %(limit)s
