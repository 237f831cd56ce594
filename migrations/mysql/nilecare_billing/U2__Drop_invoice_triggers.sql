-- Undo of V2__Invoice_triggers.sql.
DROP PROCEDURE IF EXISTS sp_mark_overdue_invoices;
DROP TRIGGER IF EXISTS trg_invoices_bu;
DROP TRIGGER IF EXISTS trg_invoices_bi;
DROP TRIGGER IF EXISTS trg_invoice_line_items_ad;
DROP TRIGGER IF EXISTS trg_invoice_line_items_au;
DROP TRIGGER IF EXISTS trg_invoice_line_items_ai;
DROP TRIGGER IF EXISTS trg_invoice_line_items_bu;
DROP TRIGGER IF EXISTS trg_invoice_line_items_bi;
