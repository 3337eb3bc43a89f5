-- name: list_deleted_businesses
-- params: deleted_since, after_ts, after_id, restricted, key_id, limit
-- returns: rows (id, deleted_at) of businesses deleted at or after deleted_since, by
--          deleted_at then id, after the keyset position (after_ts, after_id); with
--          restricted = 1 only the businesses listed for key_id
SELECT id, deleted_at
  FROM businesses FORCE INDEX (ix_businesses_deleted)
 WHERE deleted_at >= %(deleted_since)s
   AND deleted_at >= %(after_ts)s
   AND MONTH(deleted_at) > 0 AND DAYOFMONTH(deleted_at) > 0  -- a partly zero date has no position
   AND (deleted_at > %(after_ts)s OR id > %(after_id)s)
   AND (%(restricted)s = 0
        OR id IN (SELECT business_id FROM api_key_businesses WHERE api_key_id = %(key_id)s))
 ORDER BY deleted_at, id
 LIMIT %(limit)s
