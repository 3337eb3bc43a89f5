-- fragment: open_slots_head
-- SELECT to the window of the /availability page statements (list_open_slots,
-- list_open_slots_first_page): the slot's JSON around its two times, rows of a live
-- business still in the given zone, in [starts_from, starts_before). What each
-- condition is for: sql/availability/list_open_slots.sql.
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
