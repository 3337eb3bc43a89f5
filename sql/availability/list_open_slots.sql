-- name: list_open_slots
-- params: business_id, starts_from, starts_before, service_id, after_ts, after_id, limit
-- returns: rows (id, starts_at, ends_at, head, tail) of one business with room left
--          (booked < capacity) and starts_at in [starts_from, starts_before), for
--          service_id and for any service when it is given, by starts_at then id, after
--          the keyset position (after_ts, after_id). head and tail are the slot object of
--          /availability as compact JSON before and after its two times, which the caller
--          writes in the business's time zone: head ends with '"starts_at":'.
SELECT id, starts_at, ends_at,
       CONCAT('{"id":', JSON_QUOTE(id),
              ',"business_id":', JSON_QUOTE(business_id),
              ',"service_id":', IFNULL(JSON_QUOTE(service_id), 'null'),
              ',"starts_at":') AS head,
       CONCAT(',"capacity":', capacity, ',"booked":', booked,
              ',"remaining":', capacity - booked, '}') AS tail
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
