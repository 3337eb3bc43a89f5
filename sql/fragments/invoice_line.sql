-- fragment: invoice_line
-- An invoice as /invoices shows it (without items), as one compact JSON text: the
-- object of docs/api.md, keys in its order. Money is the DECIMAL's own text (two
-- places), dates YYYY-MM-DD, timestamps RFC 3339 in UTC with Z (microseconds only when
-- present); a zero or partly zero date or timestamp, which a lax sql_mode lets the PHP
-- side store, is null. Used by the /invoices pages and the NDJSON export, so that a
-- row crosses the wire as one value and Python only joins lines (docs/benchmarks.md).
CONCAT('{"id":', JSON_QUOTE(id),
       ',"business_id":', JSON_QUOTE(business_id),
       ',"template_id":', IFNULL(JSON_QUOTE(template_id), 'null'),
       ',"number":', JSON_QUOTE(number),
       ',"status":', JSON_QUOTE(status),
       ',"customer":{"name":', JSON_QUOTE(customer_name),
       ',"email":', IFNULL(JSON_QUOTE(customer_email), 'null'),
       '},"currency":', JSON_QUOTE(currency),
       ',"issue_date":', IF(issue_date IS NULL OR YEAR(issue_date) = 0 OR MONTH(issue_date) = 0 OR DAYOFMONTH(issue_date) = 0, 'null', CONCAT('"', issue_date, '"')),
       ',"due_date":', IF(due_date IS NULL OR YEAR(due_date) = 0 OR MONTH(due_date) = 0 OR DAYOFMONTH(due_date) = 0, 'null', CONCAT('"', due_date, '"')),
       ',"subtotal":"', subtotal, '","tax_total":"', tax_total,
       '","total":"', total, '","amount_paid":"', amount_paid,
       '","amount_due":"', total - amount_paid,
       '","paid_at":', IF(paid_at IS NULL OR YEAR(paid_at) = 0 OR MONTH(paid_at) = 0 OR DAYOFMONTH(paid_at) = 0, 'null',
       CONCAT('"', DATE_FORMAT(paid_at, IF(MICROSECOND(paid_at) = 0, '%%Y-%%m-%%dT%%H:%%i:%%sZ',
                                          '%%Y-%%m-%%dT%%H:%%i:%%s.%%fZ')), '"')),
       -- include: created_updated_fields
       '}')
