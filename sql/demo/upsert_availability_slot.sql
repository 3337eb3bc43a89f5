-- name: upsert_availability_slot
-- params: id, business_id, service_id, starts_at, ends_at, capacity, booked, created_at, updated_at
-- returns: nothing
-- Demo data only (`agentapi demo seed`).
REPLACE INTO availability_slots (id, business_id, service_id, starts_at, ends_at, capacity,
                                 booked, created_at, updated_at, deleted_at)
VALUES (%(id)s, %(business_id)s, %(service_id)s, %(starts_at)s, %(ends_at)s, %(capacity)s,
        %(booked)s, %(created_at)s, %(updated_at)s, NULL)
