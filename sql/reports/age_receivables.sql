-- name: age_receivables
-- params: business_id, as_of
-- returns: rows (currency, count, not_due, days_1_30, days_31_60, days_61_90,
--          days_over_90, total_due) of one business's live invoices with status sent and
--          total > amount_paid, one per currency, ordered by currency. Each bucket sums
--          total - amount_paid (DECIMAL) by days past due on as_of, DATEDIFF(as_of,
--          due_date): not_due when there is no due_date or it is on or after as_of (<= 0
--          days), then 1-30, 31-60, 61-90 and over 90 days. A due date DATEDIFF cannot
--          read (none, or a zero date in old data) counts as not due, so the buckets
--          always add up to total_due. The covering index holds every column read, so
--          the server reads the index alone, sent rows only.
SELECT currency,
       COUNT(*) AS count,
       SUM(CASE WHEN COALESCE(DATEDIFF(%(as_of)s, due_date), 0) <= 0
                THEN total - amount_paid ELSE 0 END) AS not_due,
       SUM(CASE WHEN DATEDIFF(%(as_of)s, due_date) BETWEEN 1 AND 30
                THEN total - amount_paid ELSE 0 END) AS days_1_30,
       SUM(CASE WHEN DATEDIFF(%(as_of)s, due_date) BETWEEN 31 AND 60
                THEN total - amount_paid ELSE 0 END) AS days_31_60,
       SUM(CASE WHEN DATEDIFF(%(as_of)s, due_date) BETWEEN 61 AND 90
                THEN total - amount_paid ELSE 0 END) AS days_61_90,
       SUM(CASE WHEN DATEDIFF(%(as_of)s, due_date) > 90
                THEN total - amount_paid ELSE 0 END) AS days_over_90,
       SUM(total - amount_paid) AS total_due
  FROM invoices FORCE INDEX (ix_invoices_report)
 WHERE business_id = %(business_id)s
   AND deleted_at IS NULL
   AND status = 'sent'
   AND total > amount_paid
 GROUP BY currency
 ORDER BY currency
