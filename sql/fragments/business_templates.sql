-- fragment: business_templates
-- Two columns for a statement over `businesses`: templates, the business's live invoice
-- templates (sql/fragments/template_line.sql) by name, then id, joined with commas (the
-- inside of its "invoice_templates" array; NULL when it has none), read by a correlated
-- subquery on ix_invoice_templates_business; and max_len, the session's
-- group_concat_max_len: a text that reaches it may have been cut (the server only
-- warns), and the caller reads that business's templates with list_invoice_templates.
-- Inside the subquery the fragment's bare column names are the template's.
(SELECT GROUP_CONCAT(
        -- include: template_line
        ORDER BY name, id SEPARATOR ',')
   FROM invoice_templates FORCE INDEX (ix_invoice_templates_business)
  WHERE invoice_templates.business_id = businesses.id
    AND invoice_templates.deleted_at IS NULL) AS templates,
@@SESSION.group_concat_max_len AS max_len
