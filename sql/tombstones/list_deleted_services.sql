-- name: list_deleted_services
-- params: business_id, deleted_since, after_ts, after_id, limit
-- returns: rows (id, business_id, deleted_at) of one business's services deleted at or
--          after deleted_since, by deleted_at then id, after the keyset position
--          (after_ts, after_id). FORCE INDEX and the OR of ranges: as for the live lists
--          (docs/schema.md), so that a deep page reads one page. Rows only while the
--          business exists and is not deleted: an empty result is the caller's cue to
--          tell a 404 from an empty page.
SELECT id, business_id, deleted_at
  FROM services FORCE INDEX (ix_services_deleted)
 WHERE business_id = %(business_id)s
   AND deleted_at >= %(deleted_since)s
   AND deleted_at >= %(after_ts)s
   AND MONTH(deleted_at) > 0 AND DAYOFMONTH(deleted_at) > 0  -- a partly zero date has no position
   AND (deleted_at > %(after_ts)s OR id > %(after_id)s)
   AND EXISTS (SELECT 1 FROM businesses b
                WHERE b.id = %(business_id)s AND b.deleted_at IS NULL)
 ORDER BY deleted_at, id
 LIMIT %(limit)s
