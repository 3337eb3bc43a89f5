-- fragment: open_slots_tail
-- The last conditions, the order and the limit of the /availability page statements
-- (list_open_slots, list_open_slots_first_page).
   AND s.booked < s.capacity
   AND MONTH(s.starts_at) > 0 AND DAYOFMONTH(s.starts_at) > 0  -- a partly zero date has no position
   AND (%(service_id)s IS NULL OR s.service_id = %(service_id)s OR s.service_id IS NULL)
 ORDER BY s.starts_at, s.id
 LIMIT %(limit)s
