-- name: list_invoice_templates
-- params: business_ids
-- returns: rows (id, business_id, name, is_default, payment_terms_days, notes, footer,
--          created_at, updated_at) of the given businesses, by business, then name, then id
SELECT id, business_id, name, is_default, payment_terms_days, notes, footer,
       created_at, updated_at
  FROM invoice_templates
 WHERE business_id IN %(business_ids)s
   AND deleted_at IS NULL
 ORDER BY business_id, name, id
