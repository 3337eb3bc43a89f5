-- name: get_business
-- params: business_id
-- returns: row (id, timezone) of a business that exists and is not deleted
SELECT id, timezone FROM businesses WHERE id = %(business_id)s AND deleted_at IS NULL
