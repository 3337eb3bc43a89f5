-- name: list_open_slots
-- params: business_id, starts_from, starts_before, service_id, after_ts, after_id, limit
-- returns: rows (id, business_id, service_id, starts_at, ends_at, capacity, booked) of one
--          business with room left (booked < capacity) and starts_at in
--          [starts_from, starts_before), for service_id and for any service when it is
--          given, by starts_at then id, after the keyset position (after_ts, after_id)
SELECT id, business_id, service_id, starts_at, ends_at, capacity, booked
  FROM availability_slots FORCE INDEX (ix_availability_business_start)
 WHERE business_id = %(business_id)s
   AND deleted_at IS NULL
   AND starts_at >= %(starts_from)s
   AND starts_at < %(starts_before)s
   AND starts_at >= %(after_ts)s
   AND (starts_at > %(after_ts)s OR id > %(after_id)s)
   AND booked < capacity
   AND MONTH(starts_at) > 0 AND DAYOFMONTH(starts_at) > 0  -- a partly zero date has no position
   AND (%(service_id)s IS NULL OR service_id = %(service_id)s OR service_id IS NULL)
 ORDER BY starts_at, id
 LIMIT %(limit)s
