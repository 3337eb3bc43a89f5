-- name: count_api_keys_restricted_column
-- params: none
-- returns: row (n: 1 when api_keys already has the restricted column, else 0)
-- MySQL has no ADD COLUMN IF NOT EXISTS, so `agentapi db init` asks first.
SELECT COUNT(*) AS n
  FROM information_schema.COLUMNS
 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'api_keys' AND COLUMN_NAME = 'restricted'
