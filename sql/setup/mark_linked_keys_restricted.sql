-- name: mark_linked_keys_restricted
-- params: none
-- returns: nothing (rows affected: keys newly marked)
-- A key with api_key_businesses rows was restricted by them; from now on the flag
-- keeps it restricted once they are gone. Run by every `agentapi db init`, so keys
-- the PHP side linked without setting the flag are marked too.
UPDATE api_keys k SET k.restricted = 1
 WHERE k.restricted = 0
   AND EXISTS (SELECT 1 FROM api_key_businesses b WHERE b.api_key_id = k.id)
