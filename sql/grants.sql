-- A least-privilege MySQL/MariaDB user for the Agent API.
-- Run as an administrator, after replacing the password and, if InvoiceScript's
-- database is not called `invoicescript`, the database name:
--   sudo mariadb < sql/grants.sql        (or: mysql -u root -p < sql/grants.sql)
-- The service reads the data tables and the cursor secret (agentapi_secrets), and
-- writes one column: api_keys.last_used_at.
-- Keys are created with `agentapi keys create`, run with an administrator's URL.
-- Run it after `agentapi db init`: a table-level GRANT needs the table to exist.

CREATE USER IF NOT EXISTS 'agentapi'@'localhost' IDENTIFIED BY 'change-me';
GRANT SELECT ON invoicescript.businesses TO 'agentapi'@'localhost';
GRANT SELECT ON invoicescript.invoice_templates TO 'agentapi'@'localhost';
GRANT SELECT ON invoicescript.invoices TO 'agentapi'@'localhost';
GRANT SELECT ON invoicescript.invoice_items TO 'agentapi'@'localhost';
GRANT SELECT ON invoicescript.services TO 'agentapi'@'localhost';
GRANT SELECT ON invoicescript.availability_slots TO 'agentapi'@'localhost';
GRANT SELECT ON invoicescript.api_key_businesses TO 'agentapi'@'localhost';
GRANT SELECT, UPDATE (last_used_at) ON invoicescript.api_keys TO 'agentapi'@'localhost';
GRANT SELECT ON invoicescript.agentapi_secrets TO 'agentapi'@'localhost';
