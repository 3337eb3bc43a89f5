-- name: export_invoices_by_issue_date_desc
-- params: business_id, issued_from, issued_to, updated_since, statuses, after_key, after_id, limit
-- returns: rows (invoice columns, then amount_due) of one business for the export, ordered
--          by issue_date DESC, then id DESC, after the keyset position (after_key, after_id):
--          one chunk of an export, read inside one consistent snapshot. The filters and
--          the index are those of list_invoices_by_issue_date_desc; amount_due is computed
--          here so that the export writes every money value as the server's own text.
--          The business's existence is checked once, before the export starts.
SELECT id, business_id, template_id, number, status, customer_name, customer_email, currency,
       issue_date, due_date, subtotal, tax_total, total, amount_paid,
       total - amount_paid AS amount_due, paid_at, created_at, updated_at
  FROM invoices FORCE INDEX (ix_invoices_issue_date)
 WHERE business_id = %(business_id)s
   AND deleted_at IS NULL
   AND (issue_date < %(after_key)s OR (issue_date = %(after_key)s AND id < %(after_id)s))
   AND issue_date BETWEEN %(issued_from)s AND %(issued_to)s
   AND updated_at >= %(updated_since)s
   AND status IN %(statuses)s
 ORDER BY issue_date DESC, id DESC
 LIMIT %(limit)s
