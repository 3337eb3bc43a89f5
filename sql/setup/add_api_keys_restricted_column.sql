-- name: add_api_keys_restricted_column
-- params: none
-- returns: nothing
-- The migration for api_keys tables made before keys carried their restriction.
ALTER TABLE api_keys ADD COLUMN restricted TINYINT(1) NOT NULL DEFAULT 0 AFTER scopes
