-- name: get_secret
-- params: secret_name
-- returns: row (value: the secret's 64 hex characters), or none before `agentapi db init`
SELECT value FROM agentapi_secrets WHERE name = %(secret_name)s
