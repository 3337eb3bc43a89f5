-- name: summarize_invoices
-- params: business_id, statuses, issued_from, issued_to, interval
-- returns: rows (currency, status, period_start, count, subtotal, tax_total, total,
--          amount_paid, amount_due) of one business's live invoices issued in
--          [issued_from, issued_to] with a status in statuses, one per currency, period
--          and status that has an invoice, ordered by currency, period_start, then status
--          as draft, sent, paid, void. period_start is the first day of the issue date's
--          day, ISO week (its Monday), month, quarter or year as interval says, and NULL
--          when interval is NULL. Sums are DECIMAL; amount_due = SUM(total - amount_paid).
--          The covering index holds every column read, so the server reads the index
--          alone: one range per status over issue_date. Rows only while the business
--          exists and is not deleted (a constant subquery, read once), so an empty
--          result is the caller's cue to tell a 404 from an empty report.
SELECT currency,
       status,
       CASE %(interval)s
         WHEN 'day' THEN issue_date
         WHEN 'week' THEN issue_date - INTERVAL WEEKDAY(issue_date) DAY
         WHEN 'month' THEN issue_date - INTERVAL (DAYOFMONTH(issue_date) - 1) DAY
         WHEN 'quarter' THEN MAKEDATE(YEAR(issue_date), 1)
                             + INTERVAL (QUARTER(issue_date) - 1) QUARTER
         WHEN 'year' THEN MAKEDATE(YEAR(issue_date), 1)
       END AS period_start,
       COUNT(*) AS count,
       SUM(subtotal) AS subtotal,
       SUM(tax_total) AS tax_total,
       SUM(total) AS total,
       SUM(amount_paid) AS amount_paid,
       SUM(total - amount_paid) AS amount_due
  FROM invoices FORCE INDEX (ix_invoices_report)
 WHERE business_id = %(business_id)s
   AND deleted_at IS NULL
   AND status IN %(statuses)s
   AND issue_date BETWEEN %(issued_from)s AND %(issued_to)s
   AND EXISTS (SELECT 1 FROM businesses b
                WHERE b.id = %(business_id)s AND b.deleted_at IS NULL)
 GROUP BY currency, period_start, status
 ORDER BY currency, period_start, FIELD(status, 'draft', 'sent', 'paid', 'void')
