-- name: upsert_service
-- params: id, business_id, name, description, duration_minutes, price, currency, is_active, created_at, updated_at
-- returns: nothing
-- Demo data only (`agentapi demo seed`).
REPLACE INTO services (id, business_id, name, description, duration_minutes, price, currency,
                       is_active, created_at, updated_at, deleted_at)
VALUES (%(id)s, %(business_id)s, %(name)s, %(description)s, %(duration_minutes)s, %(price)s,
        %(currency)s, %(is_active)s, %(created_at)s, %(updated_at)s, NULL)
