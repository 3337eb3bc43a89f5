-- name: upsert_invoice_item
-- params: id, invoice_id, position, service_id, description, quantity, unit_price, tax_rate, amount
-- returns: nothing
-- Demo data only (`agentapi demo seed`).
REPLACE INTO invoice_items (id, invoice_id, position, service_id, description, quantity,
                            unit_price, tax_rate, amount)
VALUES (%(id)s, %(invoice_id)s, %(position)s, %(service_id)s, %(description)s, %(quantity)s,
        %(unit_price)s, %(tax_rate)s, %(amount)s)
