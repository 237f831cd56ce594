-- Undo of V1__Initial_schema.sql. The views of R__Create_views.sql depend on these tables: drop them too.
DROP VIEW IF EXISTS v_revenue_by_category;
DROP VIEW IF EXISTS v_claims_needing_action;
DROP VIEW IF EXISTS v_patient_invoice_summary;
DROP VIEW IF EXISTS v_outstanding_invoices;
DROP TABLE IF EXISTS invoice_payment_allocations;
DROP TABLE IF EXISTS payment_reminders;
DROP TABLE IF EXISTS billing_audit_log;
DROP TABLE IF EXISTS charge_master;
DROP TABLE IF EXISTS billing_statements;
DROP TABLE IF EXISTS billing_adjustments;
DROP TABLE IF EXISTS claim_line_items;
DROP TABLE IF EXISTS insurance_claims;
DROP TABLE IF EXISTS invoice_line_items;
DROP TABLE IF EXISTS invoices;
DROP TABLE IF EXISTS billing_accounts;
