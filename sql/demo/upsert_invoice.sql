-- name: upsert_invoice
-- params: id, business_id, template_id, number, status, customer_name, customer_email, currency, issue_date, due_date, subtotal, tax_total, total, amount_paid, paid_at, created_at, updated_at
-- returns: nothing
-- Demo data only (`agentapi demo seed`).
REPLACE INTO invoices (id, business_id, template_id, number, status, customer_name,
                       customer_email, currency, issue_date, due_date, subtotal, tax_total,
                       total, amount_paid, paid_at, created_at, updated_at, deleted_at)
VALUES (%(id)s, %(business_id)s, %(template_id)s, %(number)s, %(status)s, %(customer_name)s,
        %(customer_email)s, %(currency)s, %(issue_date)s, %(due_date)s, %(subtotal)s,
        %(tax_total)s, %(total)s, %(amount_paid)s, %(paid_at)s, %(created_at)s,
        %(updated_at)s, NULL)
