-- name: list_key_prefixes
-- params: none
-- returns: rows (prefix) of every key, live or not: the set a token's prefix must be in
--          before an address over its failure limit gets a lookup (agentapi/auth.py)
SELECT prefix FROM api_keys
