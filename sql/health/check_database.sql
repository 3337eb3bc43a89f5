-- name: check_database
-- params: none
-- returns: row
-- The cheapest statement that proves the database answers.
SELECT 1 AS ok
