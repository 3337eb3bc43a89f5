-- name: insert_secret_once
-- params: secret_name, value
-- returns: nothing (rows affected: 1 when the secret was created, 0 when it existed)
-- The first `agentapi db init` wins; later runs and other hosts keep its value.
INSERT IGNORE INTO agentapi_secrets (name, value, created_at)
VALUES (%(secret_name)s, %(value)s, UTC_TIMESTAMP(6))
