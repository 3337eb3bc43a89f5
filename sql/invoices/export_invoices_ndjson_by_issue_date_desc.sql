-- name: export_invoices_ndjson_by_issue_date_desc
-- params: business_id, issued_from, issued_to, updated_since, statuses, after_key, after_id, limit
-- returns: rows (id, issue_date, line) of one business for the export, ordered by issue_date
--          DESC, then id DESC, after the keyset position (after_key, after_id): one chunk of
--          an export, read inside one consistent snapshot. line is the invoice object of /invoices without items
--          (sql/fragments/invoice_line.sql, which /invoices writes too) as one compact JSON text.
--          The server writes each line, so that a row crosses the wire as one value and
--          Python only joins them (the export's speed target; tests compare every line
--          with /invoices). Filters and index as list_invoices_by_issue_date_desc; the
--          business's existence is checked once, before the export starts.
SELECT id, issue_date,
       -- include: invoice_line
       AS line
  -- include: invoices_scan_issue_date_desc
 ORDER BY issue_date DESC, id DESC
 LIMIT %(limit)s
