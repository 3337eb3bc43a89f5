-- name: set_snapshot_isolation
-- params: none
-- returns: nothing
-- Run on an export's own connection before start_snapshot: REPEATABLE READ, whatever
-- the server's default, so that every statement of the transaction reads one snapshot.
SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ
