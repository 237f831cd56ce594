-- Corrections to V4's marking of rows projected before it (issue #17), and the balances of existing invoices.
-- V4 marked every line, claim line and payment allocation of a projected invoice or claim as the projection's
-- (source = 'fhir'). But the billing office may add a line to a projected invoice and the payment gateway
-- allocates its payments to projected invoices: marked so, a new version of the Invoice deleted the office's line
-- and a rebuild swept the gateway's payment. The projection has always given its child rows ids derived from the
-- resource (stableUuid in adapters/outbox/rows.ts: name-based, version nibble 5), and an allocation's payment_id
-- too; the services' rows have random (v4) or time-based (MariaDB UUID(), v1) ids. So a marked child row whose
-- id (or payment id) is not name-based is the service's: its mark is taken back.
UPDATE invoice_line_items SET source = NULL
 WHERE source = 'fhir' AND id NOT REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
UPDATE claim_line_items SET source = NULL
 WHERE source = 'fhir' AND id NOT REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
UPDATE invoice_payment_allocations SET source = NULL
 WHERE source = 'fhir'
   AND (id NOT REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
        OR payment_id NOT REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$');

-- V4's triggers keep paid_amount, the status of an issued FHIR invoice, its paid date and the account totals from
-- the next allocation or adjustment on; invoices that already had them showed 0 paid until then. Bring them up
-- to date now, as the triggers would (the invoice update runs trg_invoices_bu / trg_invoices_au, which set the
-- status, paid date and account totals).
CREATE TEMPORARY TABLE tmp_invoices_with_payments AS
  SELECT invoice_id AS id FROM invoice_payment_allocations
  UNION SELECT invoice_id FROM billing_adjustments;
UPDATE invoices i JOIN tmp_invoices_with_payments t ON t.id = i.id
   SET i.paid_amount = GREATEST(0,
         COALESCE((SELECT SUM(CASE WHEN a.allocation_type = 'refund' THEN -a.allocated_amount ELSE a.allocated_amount END)
                     FROM invoice_payment_allocations a
                    WHERE a.invoice_id = i.id
                      AND COALESCE(a.payment_status, 'active') NOT IN ('cancelled', 'draft', 'entered-in-error', 'failed', 'pending')), 0)
       + COALESCE((SELECT SUM(CASE WHEN b.is_credit THEN b.adjustment_amount ELSE -b.adjustment_amount END)
                     FROM billing_adjustments b WHERE b.invoice_id = i.id), 0));
DROP TEMPORARY TABLE tmp_invoices_with_payments;
-- Projected accounts (their totals were always 0); the services' accounts keep theirs until their next invoice change.
CREATE TEMPORARY TABLE tmp_projected_accounts AS SELECT id FROM billing_accounts WHERE source = 'fhir';
UPDATE billing_accounts b JOIN tmp_projected_accounts t ON t.id = b.id
   SET b.total_charges = (SELECT COALESCE(SUM(total_amount), 0) FROM invoices
                           WHERE billing_account_id = b.id AND deleted_at IS NULL AND status NOT IN ('draft', 'cancelled', 'void')),
       b.total_payments = (SELECT COALESCE(SUM(paid_amount), 0) FROM invoices
                           WHERE billing_account_id = b.id AND deleted_at IS NULL AND status NOT IN ('draft', 'cancelled', 'void'));
DROP TEMPORARY TABLE tmp_projected_accounts;
