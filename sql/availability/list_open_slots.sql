-- name: list_open_slots
-- params: business_id, timezone, starts_from, starts_before, service_id, after_ts, after_id, limit
-- returns: rows (id, starts_at, ends_at, head, tail) of one business with room left
--          (booked < capacity) and starts_at in [starts_from, starts_before), for
--          service_id and for any service when it is given, by starts_at then id, after
--          the keyset position (after_ts, after_id). head and tail are the slot object of
--          /availability as compact JSON before and after its two times, which the caller
--          writes in the business's time zone: head ends with '"starts_at":'.
--          Rows only while the business exists, is not deleted and is still in the
--          given timezone (compared byte for byte): the caller computed the window in
--          the zone it kept, and an empty result is its cue to look the business up
--          (404, or its zone as it now is). b is one row read by its primary key while
--          the statement is planned.
SELECT s.id, s.starts_at, s.ends_at,
       CONCAT('{"id":', JSON_QUOTE(s.id),
              ',"business_id":', JSON_QUOTE(s.business_id),
              ',"service_id":', IFNULL(JSON_QUOTE(s.service_id), 'null'),
              ',"starts_at":') AS head,
       CONCAT(',"capacity":', s.capacity, ',"booked":', s.booked,
              ',"remaining":', s.capacity - s.booked, '}') AS tail
  FROM businesses b,
       availability_slots s FORCE INDEX (ix_availability_business_start)
 WHERE b.id = %(business_id)s
   AND b.deleted_at IS NULL
   AND CAST(b.timezone AS BINARY) = CAST(%(timezone)s AS BINARY)
   AND s.business_id = %(business_id)s
   AND s.deleted_at IS NULL
   AND s.starts_at >= %(starts_from)s
   AND s.starts_at < %(starts_before)s
   AND s.starts_at >= %(after_ts)s
   AND (s.starts_at > %(after_ts)s OR s.id > %(after_id)s)
   AND s.booked < s.capacity
   AND MONTH(s.starts_at) > 0 AND DAYOFMONTH(s.starts_at) > 0  -- a partly zero date has no position
   AND (%(service_id)s IS NULL OR s.service_id = %(service_id)s OR s.service_id IS NULL)
 ORDER BY s.starts_at, s.id
 LIMIT %(limit)s
