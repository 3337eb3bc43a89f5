-- name: insert_key
-- params: id, name, prefix, key_hash, scopes, restricted, created_at, expires_at
-- returns: nothing
INSERT INTO api_keys (id, name, prefix, key_hash, scopes, restricted, created_at, expires_at)
VALUES (%(id)s, %(name)s, %(prefix)s, %(key_hash)s, %(scopes)s, %(restricted)s,
        %(created_at)s, %(expires_at)s)
