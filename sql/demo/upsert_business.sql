-- name: upsert_business
-- params: id, name, legal_name, email, phone, country, currency, timezone, created_at, updated_at
-- returns: nothing
-- Demo data only (`agentapi demo seed`): fixed ids, so seeding twice changes nothing.
REPLACE INTO businesses (id, name, legal_name, email, phone, country, currency, timezone,
                         created_at, updated_at, deleted_at)
VALUES (%(id)s, %(name)s, %(legal_name)s, %(email)s, %(phone)s, %(country)s, %(currency)s,
        %(timezone)s, %(created_at)s, %(updated_at)s, NULL)
