-- name: insert_key_business
-- params: api_key_id, business_id
-- returns: nothing
INSERT INTO api_key_businesses (api_key_id, business_id) VALUES (%(api_key_id)s, %(business_id)s)
