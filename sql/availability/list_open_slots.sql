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
-- include: open_slots_head
   AND s.starts_at >= %(after_ts)s
   AND (s.starts_at > %(after_ts)s OR s.id > %(after_id)s)
-- include: open_slots_tail
