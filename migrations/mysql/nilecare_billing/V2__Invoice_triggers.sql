-- Keeps invoice arithmetic right whoever writes the rows (schema reference §2.2 "Triggers"):
--   invoice_line_items.line_total = ROUND(quantity * unit_price, 2)
--   invoices.subtotal             = SUM(line_total) of the invoice's lines (when it has lines)
--   invoices.total_amount         = subtotal + tax_amount - discount_amount
--   invoices.balance_due          = total_amount - paid_amount (generated column, V1)
-- Note: MySQL/MariaDB do not fire triggers for rows removed by ON DELETE CASCADE; that only happens
-- when the invoice itself is deleted, so no total needs fixing then.

DELIMITER //

CREATE TRIGGER trg_invoice_line_items_bi
BEFORE INSERT ON invoice_line_items
FOR EACH ROW
BEGIN
  SET NEW.line_total = ROUND(NEW.quantity * NEW.unit_price, 2);
END//

CREATE TRIGGER trg_invoice_line_items_bu
BEFORE UPDATE ON invoice_line_items
FOR EACH ROW
BEGIN
  SET NEW.line_total = ROUND(NEW.quantity * NEW.unit_price, 2);
END//

CREATE TRIGGER trg_invoice_line_items_ai
AFTER INSERT ON invoice_line_items
FOR EACH ROW
BEGIN
  UPDATE invoices
     SET subtotal = (SELECT COALESCE(SUM(l.line_total), 0) FROM invoice_line_items l WHERE l.invoice_id = NEW.invoice_id)
   WHERE id = NEW.invoice_id;
END//

CREATE TRIGGER trg_invoice_line_items_au
AFTER UPDATE ON invoice_line_items
FOR EACH ROW
BEGIN
  UPDATE invoices
     SET subtotal = (SELECT COALESCE(SUM(l.line_total), 0) FROM invoice_line_items l WHERE l.invoice_id = NEW.invoice_id)
   WHERE id = NEW.invoice_id;
  IF OLD.invoice_id <> NEW.invoice_id THEN
    UPDATE invoices
       SET subtotal = (SELECT COALESCE(SUM(l.line_total), 0) FROM invoice_line_items l WHERE l.invoice_id = OLD.invoice_id)
     WHERE id = OLD.invoice_id;
  END IF;
END//

CREATE TRIGGER trg_invoice_line_items_ad
AFTER DELETE ON invoice_line_items
FOR EACH ROW
BEGIN
  UPDATE invoices
     SET subtotal = (SELECT COALESCE(SUM(l.line_total), 0) FROM invoice_line_items l WHERE l.invoice_id = OLD.invoice_id)
   WHERE id = OLD.invoice_id;
END//

CREATE TRIGGER trg_invoices_bi
BEFORE INSERT ON invoices
FOR EACH ROW
BEGIN
  SET NEW.total_amount = NEW.subtotal + NEW.tax_amount - NEW.discount_amount;
END//

CREATE TRIGGER trg_invoices_bu
BEFORE UPDATE ON invoices
FOR EACH ROW
BEGIN
  SET NEW.total_amount = NEW.subtotal + NEW.tax_amount - NEW.discount_amount;
END//

-- "Status automatically changes to 'overdue' after due date": run daily (cron, or a MySQL EVENT
-- where event_scheduler is ON). Returns the number of invoices marked.
CREATE PROCEDURE sp_mark_overdue_invoices(IN as_of DATE)
BEGIN
  UPDATE invoices
     SET status = 'overdue'
   WHERE status IN ('pending', 'partially_paid')
     AND due_date < COALESCE(as_of, CURRENT_DATE)
     AND balance_due > 0
     AND deleted_at IS NULL;
  SELECT ROW_COUNT() AS marked;
END//

DELIMITER ;
