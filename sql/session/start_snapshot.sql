-- name: start_snapshot
-- params: none
-- returns: nothing
-- An export's transaction: the snapshot is taken now, not at its first read, and the
-- transaction cannot write.
START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY
