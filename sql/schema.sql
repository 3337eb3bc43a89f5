-- InvoiceScript's tables as the Agent API reads them, plus api_keys.
-- The PHP app owns and writes these tables; `agentapi db init` creates any that are
-- missing (CREATE TABLE IF NOT EXISTS), so running it twice changes nothing; columns
-- added since are added to existing tables by agentapi/dbinit.py (sql/setup/).
-- Beyond InvoiceScript's columns, only the indexes the API's queries need are added
-- (the ix_* ones); see docs/schema.md.

CREATE TABLE IF NOT EXISTS businesses (
  id CHAR(26) NOT NULL,
  name VARCHAR(200) NOT NULL,
  legal_name VARCHAR(200) NULL,
  email VARCHAR(254) NULL,
  phone VARCHAR(50) NULL,
  country CHAR(2) NULL,
  currency CHAR(3) NOT NULL,
  timezone VARCHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY ix_businesses_deleted (deleted_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS invoice_templates (
  id CHAR(26) NOT NULL,
  business_id CHAR(26) NOT NULL,
  name VARCHAR(200) NOT NULL,
  is_default TINYINT(1) NOT NULL DEFAULT 0,
  payment_terms_days SMALLINT UNSIGNED NULL,
  notes TEXT NULL,
  footer TEXT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY ix_invoice_templates_business (business_id, deleted_at, name, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS invoices (
  id CHAR(26) NOT NULL,
  business_id CHAR(26) NOT NULL,
  template_id CHAR(26) NULL,
  number VARCHAR(50) NOT NULL,
  status ENUM('draft','sent','paid','void') NOT NULL,
  customer_name VARCHAR(200) NOT NULL,
  customer_email VARCHAR(254) NULL,
  currency CHAR(3) NOT NULL,
  issue_date DATE NOT NULL,
  due_date DATE NULL,
  subtotal DECIMAL(15,2) NOT NULL,
  tax_total DECIMAL(15,2) NOT NULL,
  total DECIMAL(15,2) NOT NULL,
  amount_paid DECIMAL(15,2) NOT NULL DEFAULT 0.00,
  paid_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_invoices_business_number (business_id, number),
  KEY ix_invoices_issue_date (business_id, deleted_at, issue_date, id),
  KEY ix_invoices_updated_at (business_id, deleted_at, updated_at, id),
  KEY ix_invoices_deleted (business_id, deleted_at, id),
  KEY ix_invoices_report (business_id, deleted_at, status, issue_date, currency, subtotal,
                          tax_total, total, amount_paid, due_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS invoice_items (
  id CHAR(26) NOT NULL,
  invoice_id CHAR(26) NOT NULL,
  position SMALLINT UNSIGNED NOT NULL,
  service_id CHAR(26) NULL,
  description VARCHAR(500) NOT NULL,
  quantity DECIMAL(12,3) NOT NULL,
  unit_price DECIMAL(15,2) NOT NULL,
  tax_rate DECIMAL(5,2) NOT NULL,
  amount DECIMAL(15,2) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_invoice_items_page (invoice_id, position, id, service_id, description, quantity,
                             unit_price, tax_rate, amount)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS services (
  id CHAR(26) NOT NULL,
  business_id CHAR(26) NOT NULL,
  name VARCHAR(200) NOT NULL,
  description TEXT NULL,
  duration_minutes SMALLINT UNSIGNED NOT NULL,
  price DECIMAL(15,2) NOT NULL,
  currency CHAR(3) NOT NULL,
  is_active TINYINT(1) NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY ix_services_business_name (business_id, deleted_at, name, id),
  KEY ix_services_deleted (business_id, deleted_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS availability_slots (
  id CHAR(26) NOT NULL,
  business_id CHAR(26) NOT NULL,
  service_id CHAR(26) NULL,
  starts_at DATETIME(6) NOT NULL,
  ends_at DATETIME(6) NOT NULL,
  capacity SMALLINT UNSIGNED NOT NULL,
  booked SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  deleted_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY ix_availability_business_start (business_id, deleted_at, starts_at, id),
  KEY ix_availability_slots_deleted (business_id, deleted_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS api_keys (
  id CHAR(26) NOT NULL,
  name VARCHAR(100) NOT NULL,
  prefix CHAR(8) NOT NULL,
  key_hash CHAR(64) NOT NULL,
  scopes VARCHAR(255) NOT NULL,
  -- 1: the key reads only the businesses of its api_key_businesses rows, and nothing
  -- once they are gone. Added to older tables by `agentapi db init` (docs/schema.md).
  restricted TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NULL,
  revoked_at DATETIME(6) NULL,
  last_used_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_api_keys_prefix (prefix)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS api_key_businesses (
  api_key_id CHAR(26) NOT NULL,
  business_id CHAR(26) NOT NULL,
  PRIMARY KEY (api_key_id, business_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Secrets of this installation that no setting provides, made by `agentapi db init`
-- (agentapi/dbinit.py): 'cursor' signs pagination cursors unless
-- AGENTAPI_CURSOR_SECRET is set. Every host reading this database shares them.
CREATE TABLE IF NOT EXISTS agentapi_secrets (
  name VARCHAR(64) NOT NULL,
  value CHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;
