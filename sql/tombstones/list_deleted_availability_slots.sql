-- name: list_deleted_availability_slots
-- params: business_id, deleted_since, after_ts, after_id, limit
-- returns: rows (id, business_id, deleted_at) of one business's availability slots
--          deleted at or after deleted_since, by deleted_at then id, after the keyset
--          position (after_ts, after_id); see list_deleted_invoices for the rest.
SELECT id, business_id, deleted_at
  FROM availability_slots FORCE INDEX (ix_availability_slots_deleted)
 WHERE business_id = %(business_id)s
   AND deleted_at >= %(deleted_since)s
   AND deleted_at >= %(after_ts)s
   AND MONTH(deleted_at) > 0 AND DAYOFMONTH(deleted_at) > 0  -- a partly zero date has no position
   AND (deleted_at > %(after_ts)s OR id > %(after_id)s)
   AND EXISTS (SELECT 1 FROM businesses b
                WHERE b.id = %(business_id)s AND b.deleted_at IS NULL)
 ORDER BY deleted_at, id
 LIMIT %(limit)s
