-- Reporting views of nilecare_billing (schema reference §2 "Key Views"). Repeatable: re-applied
-- whenever this file changes. Soft-deleted rows (deleted_at) never appear.

-- Unpaid invoices, with how late they are.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_outstanding_invoices AS
SELECT i.id, i.invoice_number, i.patient_id, i.facility_id, i.billing_account_id, i.invoice_type, i.status,
       i.invoice_date, i.due_date, i.currency, i.total_amount, i.paid_amount, i.balance_due,
       GREATEST(DATEDIFF(CURRENT_DATE, i.due_date), 0) AS days_overdue,
       (i.due_date < CURRENT_DATE) AS is_overdue
  FROM invoices i
 WHERE i.deleted_at IS NULL
   AND i.status IN ('pending', 'partially_paid', 'overdue')
   AND i.balance_due > 0;

-- Per-patient totals (per currency: amounts in different currencies are never added).
CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_patient_invoice_summary AS
SELECT i.patient_id, i.currency,
       COUNT(*) AS invoice_count,
       SUM(i.total_amount) AS total_billed,
       SUM(i.paid_amount) AS total_paid,
       SUM(CASE WHEN i.status IN ('pending', 'partially_paid', 'overdue') THEN i.balance_due ELSE 0 END) AS total_outstanding,
       SUM(CASE WHEN i.status = 'overdue' OR (i.status IN ('pending', 'partially_paid') AND i.due_date < CURRENT_DATE AND i.balance_due > 0) THEN 1 ELSE 0 END) AS overdue_count,
       MIN(i.invoice_date) AS first_invoice_date,
       MAX(i.invoice_date) AS last_invoice_date
  FROM invoices i
 WHERE i.deleted_at IS NULL
   AND i.status NOT IN ('draft', 'cancelled', 'void')
 GROUP BY i.patient_id, i.currency;

-- Claims someone has to act on: drafts to submit, denials to appeal, submissions without answer for 30 days.
CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_claims_needing_action AS
SELECT c.id, c.claim_number, c.invoice_id, c.patient_id, c.claim_type, c.claim_format, c.status,
       c.total_charges, c.allowed_amount, c.paid_amount, c.denial_reason_code, c.submission_date,
       CASE
         WHEN c.status = 'draft' THEN 'submit'
         WHEN c.status = 'denied' THEN 'appeal_or_write_off'
         WHEN c.status = 'partially_approved' THEN 'review_partial_payment'
         ELSE 'follow_up'
       END AS action_needed,
       DATEDIFF(CURRENT_DATE, COALESCE(c.submission_date, c.created_at)) AS days_open
  FROM insurance_claims c
 WHERE c.deleted_at IS NULL
   AND (c.status IN ('draft', 'denied', 'partially_approved')
        OR (c.status IN ('submitted', 'pending', 'appealed', 'resubmitted') AND c.submission_date < CURRENT_DATE - INTERVAL 30 DAY));

-- Revenue by line item category and month (issued invoices only).
CREATE OR REPLACE SQL SECURITY INVOKER VIEW v_revenue_by_category AS
SELECT l.item_type AS category,
       DATE_FORMAT(i.invoice_date, '%Y-%m') AS period,
       i.currency,
       COUNT(*) AS line_count,
       SUM(l.quantity) AS quantity,
       SUM(l.line_total) AS revenue
  FROM invoice_line_items l
  JOIN invoices i ON i.id = l.invoice_id
 WHERE i.deleted_at IS NULL
   AND i.status NOT IN ('draft', 'cancelled', 'void')
 GROUP BY l.item_type, DATE_FORMAT(i.invoice_date, '%Y-%m'), i.currency;
