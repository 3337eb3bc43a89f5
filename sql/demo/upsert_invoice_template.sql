-- name: upsert_invoice_template
-- params: id, business_id, name, is_default, payment_terms_days, notes, footer, created_at, updated_at
-- returns: nothing
-- Demo data only (`agentapi demo seed`).
REPLACE INTO invoice_templates (id, business_id, name, is_default, payment_terms_days, notes,
                                footer, created_at, updated_at, deleted_at)
VALUES (%(id)s, %(business_id)s, %(name)s, %(is_default)s, %(payment_terms_days)s, %(notes)s,
        %(footer)s, %(created_at)s, %(updated_at)s, NULL)
