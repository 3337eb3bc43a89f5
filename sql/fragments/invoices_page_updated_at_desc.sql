-- fragment: invoices_page_updated_at_desc
-- FROM to LIMIT of the /invoices page statements ordered by updated_at DESC, then
-- id DESC (list_invoices_by_updated_at_desc, list_invoices_with_items_by_updated_at_desc):
-- the scan and filters of sql/fragments/invoices_scan_updated_at_desc.sql; then rows only while the business exists and is not deleted (a constant subquery, read
-- once): an empty result is the caller's cue to tell a 404 from an empty page, so a
-- non-empty page costs no separate lookup.
  -- include: invoices_scan_updated_at_desc
   AND MONTH(updated_at) > 0 AND DAYOFMONTH(updated_at) > 0  -- a partly zero date has no position
   AND EXISTS (SELECT 1 FROM businesses b
                WHERE b.id = %(business_id)s AND b.deleted_at IS NULL)
 ORDER BY updated_at DESC, id DESC
 LIMIT %(limit)s
