-- name: export_invoices_csv_by_updated_at_asc
-- params: business_id, issued_from, issued_to, updated_since, statuses, after_key, after_id, limit
-- returns: rows (id, updated_at, line) of one business for the export, ordered by updated_at
--          ASC, then id ASC, after the keyset position (after_key, after_id): one chunk of
--          an export, read inside one consistent snapshot. line is the invoice's CSV record, CRLF-ended: text cells (number, customer_name,
--          customer_email) always quoted, with a leading ' when they begin with = + - @ tab
--          or CR; null as an empty cell.
--          The server writes each line, so that a row crosses the wire as one value and
--          Python only joins them (the export's speed target; tests compare every line
--          with /invoices). Filters and index as list_invoices_by_updated_at_asc; the
--          business's existence is checked once, before the export starts.
SELECT id, updated_at,
       CONCAT(id, ',', business_id, ',', IFNULL(template_id, ''),
              ',', IFNULL(CONCAT('"', REPLACE(IF(ASCII(number) IN (61, 43, 45, 64, 9, 13), CONCAT('''', number), number),
                               '"', '""'), '"'), ''),
              ',', status,
              ',', IFNULL(CONCAT('"', REPLACE(IF(ASCII(customer_name) IN (61, 43, 45, 64, 9, 13), CONCAT('''', customer_name), customer_name),
                               '"', '""'), '"'), ''),
              ',', IFNULL(CONCAT('"', REPLACE(IF(ASCII(customer_email) IN (61, 43, 45, 64, 9, 13), CONCAT('''', customer_email), customer_email),
                               '"', '""'), '"'), ''),
              ',', currency,
              ',', IF(issue_date IS NULL OR YEAR(issue_date) = 0 OR MONTH(issue_date) = 0 OR DAYOFMONTH(issue_date) = 0, '', issue_date), ',', IF(due_date IS NULL OR YEAR(due_date) = 0 OR MONTH(due_date) = 0 OR DAYOFMONTH(due_date) = 0, '', due_date),
              ',', subtotal, ',', tax_total, ',', total, ',', amount_paid,
              ',', total - amount_paid,
              ',', IF(paid_at IS NULL OR YEAR(paid_at) = 0 OR MONTH(paid_at) = 0 OR DAYOFMONTH(paid_at) = 0, '',
              CONCAT(DATE_FORMAT(paid_at, IF(MICROSECOND(paid_at) = 0, '%%Y-%%m-%%dT%%H:%%i:%%sZ',
                                                 '%%Y-%%m-%%dT%%H:%%i:%%s.%%fZ')))),
              ',', IF(created_at IS NULL OR YEAR(created_at) = 0 OR MONTH(created_at) = 0 OR DAYOFMONTH(created_at) = 0, '',
              CONCAT(DATE_FORMAT(created_at, IF(MICROSECOND(created_at) = 0, '%%Y-%%m-%%dT%%H:%%i:%%sZ',
                                                 '%%Y-%%m-%%dT%%H:%%i:%%s.%%fZ')))),
              ',', IF(updated_at IS NULL OR YEAR(updated_at) = 0 OR MONTH(updated_at) = 0 OR DAYOFMONTH(updated_at) = 0, '',
              CONCAT(DATE_FORMAT(updated_at, IF(MICROSECOND(updated_at) = 0, '%%Y-%%m-%%dT%%H:%%i:%%sZ',
                                                 '%%Y-%%m-%%dT%%H:%%i:%%s.%%fZ')))),
              CHAR(13, 10 USING utf8mb4)) AS line
  -- include: invoices_scan_updated_at_asc
 ORDER BY updated_at ASC, id ASC
 LIMIT %(limit)s
