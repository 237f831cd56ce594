-- Undo of V1__Initial_schema.sql.
DROP TABLE IF EXISTS payment_audit_log;
DROP TABLE IF EXISTS payment_installments;
DROP TABLE IF EXISTS payment_webhooks;
DROP TABLE IF EXISTS fraud_detection_logs;
DROP TABLE IF EXISTS payment_reconciliation;
DROP TABLE IF EXISTS payment_disputes;
DROP TABLE IF EXISTS payment_refunds;
DROP TABLE IF EXISTS payment_transactions;
DROP TABLE IF EXISTS payment_methods;
DROP TABLE IF EXISTS payment_providers;
DROP PROCEDURE IF EXISTS sp_sync_refunds;
