-- name: delete_demo_slots
-- params: business_ids
-- returns: nothing
-- Demo data only: availability is re-made for the next 30 days on every seed.
DELETE FROM availability_slots WHERE business_id IN %(business_ids)s
