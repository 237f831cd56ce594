import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from 'mysql2/promise';
import type { TestDatabase } from '../../server/migrate/testing/test-databases.js';
import {
  assertMatchesReference,
  assertUndoAndRedo,
  migratedDatabase,
  mysqlConnection,
  serverMissing,
} from './harness.js';
import { nilecareBilling } from './reference-auth-billing.js';

type Money = { subtotal: string; total_amount: string; paid_amount: string; balance_due: string };

describe('migrations/mysql/nilecare_billing', { skip: await serverMissing('mysql') }, () => {
  let db: TestDatabase;
  let c: Connection;
  const one = async <T>(sql: string, params: unknown[] = []): Promise<T> =>
    ((await c.query(sql, params))[0] as T[])[0]!;
  const money = (id: string) =>
    one<Money>('SELECT subtotal, total_amount, paid_amount, balance_due FROM invoices WHERE id = ?', [id]);
  const newInvoice = async (
    id: string,
    extra: { tax?: number; discount?: number; due?: string; status?: string; patient?: string } = {},
  ) => {
    await c.query(
      `INSERT INTO invoices (id, invoice_number, patient_id, facility_id, invoice_type, tax_amount, discount_amount, status, invoice_date, due_date)
       VALUES (?, ?, ?, 'f0000000-0000-0000-0000-000000000001', 'standard', ?, ?, ?, '2026-01-01', ?)`,
      [
        id,
        `INV-${id.slice(0, 1)}${id.slice(-6)}`,
        extra.patient ?? 'p0000000-0000-0000-0000-000000000001',
        extra.tax ?? 0,
        extra.discount ?? 0,
        extra.status ?? 'pending',
        extra.due ?? '2026-01-31',
      ],
    );
  };
  const addLine = (invoiceId: string, n: number, qty: number, price: number, type = 'service') =>
    c.query(
      `INSERT INTO invoice_line_items (invoice_id, line_number, item_type, item_name, quantity, unit_price, line_total) VALUES (?, ?, ?, 'x', ?, ?, 999999)`,
      [invoiceId, n, type, qty, price],
    );

  before(async () => {
    db = await migratedDatabase('mysql', 'nilecare_billing');
    c = await mysqlConnection(db.url);
  });
  after(async () => {
    await c?.end();
    await db?.drop();
  });

  it('matches the schema reference (tables, columns, ENUM values, keys, indexes, generated columns, views, triggers)', async () => {
    await assertMatchesReference('mysql', db.url, nilecareBilling);
  });

  it('line-item triggers keep line_total, invoices.subtotal, total_amount and balance_due right', async () => {
    const inv = 'a0000000-0000-0000-0000-000000000001';
    await newInvoice(inv, { tax: 10, discount: 5 });
    assert.deepEqual(await money(inv), {
      subtotal: '0.00',
      total_amount: '5.00',
      paid_amount: '0.00',
      balance_due: '5.00',
    });
    await addLine(inv, 1, 2, 150.25); // 300.50, whatever line_total the writer claimed
    await addLine(inv, 2, 3, 1000, 'lab_test'); // 3000.00
    const [lines] = await c.query(
      'SELECT line_total FROM invoice_line_items WHERE invoice_id = ? ORDER BY line_number',
      [inv],
    );
    assert.deepEqual(
      (lines as { line_total: string }[]).map((l) => l.line_total),
      ['300.50', '3000.00'],
    );
    assert.deepEqual(await money(inv), {
      subtotal: '3300.50',
      total_amount: '3305.50',
      paid_amount: '0.00',
      balance_due: '3305.50',
    });
    await c.query('UPDATE invoice_line_items SET quantity = 1 WHERE invoice_id = ? AND line_number = 2', [inv]);
    assert.equal((await money(inv)).subtotal, '1300.50');
    await c.query('UPDATE invoices SET paid_amount = 1000, tax_amount = 0, discount_amount = 0 WHERE id = ?', [inv]);
    assert.deepEqual(await money(inv), {
      subtotal: '1300.50',
      total_amount: '1300.50',
      paid_amount: '1000.00',
      balance_due: '300.50',
    });
    await c.query('DELETE FROM invoice_line_items WHERE invoice_id = ? AND line_number = 1', [inv]);
    assert.deepEqual(await money(inv), {
      subtotal: '1000.00',
      total_amount: '1000.00',
      paid_amount: '1000.00',
      balance_due: '0.00',
    });
    // Moving a line to another invoice fixes both.
    const other = 'a0000000-0000-0000-0000-000000000002';
    await newInvoice(other);
    await c.query('UPDATE invoice_line_items SET invoice_id = ? WHERE invoice_id = ? AND line_number = 2', [
      other,
      inv,
    ]);
    assert.equal((await money(inv)).subtotal, '0.00');
    assert.equal((await money(other)).subtotal, '1000.00');
    await assert.rejects(
      c.query('UPDATE invoices SET balance_due = 1 WHERE id = ?', [inv]),
      /generated column|cannot be updated|not allowed/i,
    );
  });

  it('billing_accounts.balance_due is generated; bad amounts, dates and orphan rows are refused', async () => {
    await c.query(
      "INSERT INTO billing_accounts (id, account_number, patient_id, total_charges, total_payments) VALUES ('b1', 'BA-20260101-000001', 'p1', 500, 120.5)",
    );
    assert.equal(
      (await one<{ balance_due: string }>("SELECT balance_due FROM billing_accounts WHERE id = 'b1'")).balance_due,
      '379.50',
    );
    await assert.rejects(
      c.query(
        "INSERT INTO invoices (invoice_number, patient_id, facility_id, invoice_date, due_date) VALUES ('INV-X', 'p', 'f', '2026-02-01', '2026-01-01')",
      ),
      /chk_invoices_dates|CONSTRAINT/,
    );
    await assert.rejects(
      c.query(
        "INSERT INTO invoices (invoice_number, patient_id, facility_id, billing_account_id, invoice_date, due_date) VALUES ('INV-Y', 'p', 'f', 'nope', '2026-01-01', '2026-01-02')",
      ),
      /foreign key/,
    );
    await assert.rejects(
      c.query(
        "INSERT INTO invoices (invoice_number, patient_id, facility_id, invoice_type, invoice_date, due_date) VALUES ('INV-Z', 'p', 'f', 'bogus', '2026-01-01', '2026-01-02')",
      ),
      /Data truncated|invoice_type/,
    );
    await assert.rejects(
      c.query(
        "INSERT INTO invoice_line_items (invoice_id, line_number, item_type, item_name, unit_price) VALUES ('no-invoice', 1, 'service', 'x', 1)",
      ),
      /foreign key/,
    );
    await assert.rejects(
      c.query(
        "INSERT INTO invoices (invoice_number, patient_id, facility_id, invoice_date, due_date, currency) VALUES ('INV-C', 'p', 'f', '2026-01-01', '2026-01-02', 'sdg')",
      ),
      /chk_invoices_currency|CONSTRAINT/,
    );
    const inv = await one<{ currency: string; status: string }>(
      "SELECT currency, status FROM invoices WHERE id = 'a0000000-0000-0000-0000-000000000002'",
    );
    assert.equal(inv.currency, 'SDG');
  });

  it('views report outstanding invoices, per-patient totals, claims needing action and revenue by category', async () => {
    const late = 'c0000000-0000-0000-0000-000000000001';
    await newInvoice(late, { patient: 'p2', due: '2026-01-10' });
    await addLine(late, 1, 1, 200, 'consultation');
    const deleted = 'c0000000-0000-0000-0000-000000000002';
    await newInvoice(deleted, { patient: 'p2' });
    await addLine(deleted, 1, 1, 50, 'consultation');
    await c.query('UPDATE invoices SET deleted_at = CURRENT_TIMESTAMP WHERE id = ?', [deleted]);
    const outstanding = await one<{ balance_due: string; days_overdue: number; is_overdue: number }>(
      'SELECT balance_due, days_overdue, is_overdue FROM v_outstanding_invoices WHERE id = ?',
      [late],
    );
    assert.equal(outstanding.balance_due, '200.00');
    assert.equal(Number(outstanding.is_overdue), 1);
    assert.ok(Number(outstanding.days_overdue) > 0);
    const [del] = await c.query('SELECT id FROM v_outstanding_invoices WHERE id = ?', [deleted]);
    assert.equal((del as unknown[]).length, 0, 'soft-deleted invoices are not outstanding');
    const summary = await one<{ invoice_count: number; total_outstanding: string; overdue_count: string }>(
      "SELECT * FROM v_patient_invoice_summary WHERE patient_id = 'p2'",
    );
    assert.deepEqual(
      [Number(summary.invoice_count), summary.total_outstanding, Number(summary.overdue_count)],
      [1, '200.00', 1],
    );
    const [marked] = (await c.query("CALL sp_mark_overdue_invoices('2026-06-01')")) as unknown as [
      [{ marked: number }[]],
    ];
    assert.ok(Number(marked[0][0]!.marked) >= 1);
    assert.equal((await one<{ status: string }>('SELECT status FROM invoices WHERE id = ?', [late])).status, 'overdue');
    await c.query(
      "INSERT INTO insurance_claims (claim_number, patient_id, claim_type, claim_format, status, denial_reason_code) VALUES ('CLM-1', 'p2', 'professional', 'CMS1500', 'denied', 'CO-50')",
    );
    await c.query(
      "INSERT INTO insurance_claims (claim_number, patient_id, claim_type, claim_format, status, submission_date) VALUES ('CLM-2', 'p2', 'institutional', 'UB04', 'submitted', CURRENT_DATE)",
    );
    const [claims] = await c.query(
      'SELECT claim_number, action_needed FROM v_claims_needing_action ORDER BY claim_number',
    );
    assert.deepEqual(claims, [{ claim_number: 'CLM-1', action_needed: 'appeal_or_write_off' }]);
    const rev = await one<{ revenue: string; line_count: number }>(
      "SELECT revenue, line_count FROM v_revenue_by_category WHERE category = 'consultation' AND period = '2026-01'",
    );
    assert.deepEqual([rev.revenue, Number(rev.line_count)], ['200.00', 1]);
  });

  it('V4: allocations and adjustments keep paid_amount, the status of an issued FHIR invoice, its paid date and the account totals, whoever writes them', async () => {
    await c.query(
      "INSERT INTO billing_accounts (id, account_number, patient_id) VALUES ('b4', 'BA-20260101-000004', 'p4')",
    );
    const inv = 'd0000000-0000-0000-0000-000000000004';
    await c.query(
      `INSERT INTO invoices (id, invoice_number, patient_id, facility_id, billing_account_id, status, fhir_status, invoice_date, due_date)
       VALUES (?, 'INV-V4', 'p4', 'f', 'b4', 'pending', 'issued', '2026-01-01', '2026-01-31')`,
      [inv],
    );
    await addLine(inv, 1, 1, 1000);
    const state = async () =>
      one<{ status: string; paid_amount: string; balance_due: string; paid_date: string | null }>(
        'SELECT status, paid_amount, balance_due, paid_date FROM invoices WHERE id = ?',
        [inv],
      );
    await c.query(
      "INSERT INTO invoice_payment_allocations (invoice_id, payment_id, allocated_amount, allocation_type, payment_status, allocated_at) VALUES (?, 'pay-1', 400, 'partial', 'completed', '2026-01-05 10:00:00')",
      [inv],
    );
    assert.deepEqual(await state(), {
      status: 'partially_paid',
      paid_amount: '400.00',
      balance_due: '600.00',
      paid_date: null,
    });
    await c.query("CALL sp_mark_overdue_invoices('2026-03-01')");
    assert.equal((await state()).status, 'overdue', 'overdue stays while a balance is due');
    await c.query(
      "INSERT INTO billing_adjustments (invoice_id, adjustment_type, adjustment_amount, is_credit) VALUES (?, 'late_fee', 50, FALSE)",
      [inv],
    );
    assert.deepEqual(
      [(await state()).paid_amount, (await state()).status],
      ['350.00', 'overdue'],
      'a debit adjustment',
    );
    await c.query(
      "INSERT INTO invoice_payment_allocations (invoice_id, payment_id, allocated_amount, allocation_type, payment_status, allocated_at) VALUES (?, 'pay-2', 650, 'partial', 'completed', '2026-03-02 09:00:00')",
      [inv],
    );
    assert.deepEqual(await state(), {
      status: 'paid',
      paid_amount: '1000.00',
      balance_due: '0.00',
      paid_date: '2026-03-02',
    });
    const account = async () =>
      one<{ total_charges: string; total_payments: string; balance_due: string }>(
        "SELECT total_charges, total_payments, balance_due FROM billing_accounts WHERE id = 'b4'",
      );
    assert.deepEqual(await account(), { total_charges: '1000.00', total_payments: '1000.00', balance_due: '0.00' });
    await c.query("UPDATE invoice_payment_allocations SET payment_status = 'failed' WHERE payment_id = 'pay-2'");
    assert.deepEqual(
      [(await state()).status, (await state()).paid_date],
      ['partially_paid', null],
      'a failed payment is not counted',
    );
    assert.deepEqual(await account(), { total_charges: '1000.00', total_payments: '350.00', balance_due: '650.00' });
  });

  it('undoes to zero (views, triggers, tables) and migrates again', async () => {
    await assertUndoAndRedo('mysql', 'nilecare_billing', db.url, nilecareBilling);
  });
});
