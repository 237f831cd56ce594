/**
 * Billing as the billing office reads it (issue #17), on the real MariaDB: payments, adjustments, tax and discount
 * reach invoices, their balances, v_outstanding_invoices and the account totals; ExplanationOfBenefit and
 * ClaimResponse set a claim's status and amounts, a later Claim update does not reset a paid claim, and a rewound
 * cursor changes nothing at any point of the replay.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { projectionAdmin } from '../../server/console/admin/projection-admin.js';
import { snapshotRows } from './testing/target-databases.js';
import { openScenario, ORG, patient, type Scenario } from './testing/scenario-harness.js';

const invoice = (status: string, extra: Record<string, unknown> = {}): Resource =>
  ({
    resourceType: 'Invoice',
    id: 'inv-pay',
    status,
    subject: patient,
    issuer: { reference: `Organization/${ORG}` },
    account: { reference: 'Account/acct-pay' },
    date: '2025-03-04T10:00:00Z',
    paymentTerms: 'Net 30',
    lineItem: [
      {
        sequence: 1,
        chargeItemCodeableConcept: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] },
        priceComponent: [
          { type: 'base', amount: { value: 10000, currency: 'SDG' } },
          { type: 'tax', amount: { value: 1500, currency: 'SDG' } },
        ],
      },
      {
        sequence: 2,
        chargeItemCodeableConcept: { text: 'Ward day' },
        priceComponent: [{ type: 'base', factor: 3, amount: { value: 3100.33, currency: 'SDG' } }],
      },
    ],
    totalPriceComponent: [{ type: 'discount', amount: { value: -800, currency: 'SDG' } }],
    totalNet: { value: 18500.99, currency: 'SDG' },
    totalGross: { value: 20000.99, currency: 'SDG' },
    ...extra,
  }) as Resource;

const reconciliation = (
  id: string,
  details: Array<{ amount: number; type?: string; extra?: string }>,
  status = 'active',
): Resource =>
  ({
    resourceType: 'PaymentReconciliation',
    id,
    status,
    created: '2025-03-10T08:00:00Z',
    paymentDate: '2025-03-10',
    paymentAmount: { value: details.reduce((s, d) => s + d.amount, 0), currency: 'SDG' },
    detail: details.map((d) => ({
      type: { coding: [{ code: d.type ?? 'payment' }, ...(d.extra ? [{ code: d.extra }] : [])] },
      request: { reference: 'Invoice/inv-pay' },
      amount: { value: d.amount, currency: 'SDG' },
    })),
  }) as Resource;

describe('billing balances and claim outcomes (MariaDB)', () => {
  let s: Scenario;
  const invoiceRow = async () => (await s.one(s.db.billing, 'SELECT * FROM invoices WHERE fhir_id = ?', ['inv-pay']))!;
  const money = async () => {
    const i = await invoiceRow();
    return {
      status: i.status,
      subtotal: Number(i.subtotal),
      tax: Number(i.tax_amount),
      discount: Number(i.discount_amount),
      total: Number(i.total_amount),
      paid: Number(i.paid_amount),
      balance: Number(i.balance_due),
    };
  };

  before(async () => {
    s = await openScenario();
  });
  after(async () => {
    await s?.close();
  });

  it('tax and discount make the FHIR total; a 5,000 SDG payment, a write-off and a refund move paid_amount, balance, status, the outstanding view and the account', async () => {
    await s.fhir.put(
      { resourceType: 'Account', id: 'acct-pay', status: 'active', subject: [patient] },
      invoice('issued'),
    );
    await s.running.caughtUp();
    assert.deepEqual(await money(), {
      status: 'pending',
      subtotal: 19300.99,
      tax: 1500,
      discount: 800,
      total: 20000.99,
      paid: 0,
      balance: 20000.99,
    });
    assert.equal((await invoiceRow()).due_date, '2025-04-03', 'Net 30');

    await s.fhir.put(reconciliation('pr-1', [{ amount: 5000 }]));
    await s.running.caughtUp();
    assert.deepEqual(
      [(await money()).status, (await money()).paid, (await money()).balance],
      ['partially_paid', 5000, 15000.99],
    );
    const outstanding = await s.one(
      s.db.billing,
      'SELECT balance_due FROM v_outstanding_invoices WHERE invoice_number = ?',
      [(await invoiceRow()).invoice_number],
    );
    assert.equal(Number(outstanding!.balance_due), 15000.99, 'v_outstanding_invoices shows what is still owed');
    const account = async () =>
      (await s.one(
        s.db.billing,
        'SELECT total_charges, total_payments, balance_due FROM billing_accounts WHERE fhir_id = ?',
        ['acct-pay'],
      ))!;
    assert.deepEqual(Object.values(await account()).map(Number), [20000.99, 5000, 15000.99]);

    // The rest: a payment, and a write-off of the 0.99 (an adjustment detail), in one reconciliation.
    await s.fhir.put(
      reconciliation('pr-2', [{ amount: 15000 }, { amount: 0.99, type: 'adjustment', extra: 'write-off' }]),
    );
    await s.running.caughtUp();
    const paid = await invoiceRow();
    assert.deepEqual(
      [paid.status, Number(paid.paid_amount), Number(paid.balance_due), paid.paid_date],
      ['paid', 20000.99, 0, '2025-03-10'],
    );
    assert.equal(
      await s.one(s.db.billing, 'SELECT 1 FROM v_outstanding_invoices WHERE invoice_number = ?', [paid.invoice_number]),
      undefined,
    );
    const adjustment = await s.one(s.db.billing, 'SELECT * FROM billing_adjustments WHERE fhir_id = ?', [
      'PaymentReconciliation/pr-2',
    ]);
    assert.deepEqual(
      [
        adjustment!.adjustment_type,
        Number(adjustment!.adjustment_amount),
        Number(adjustment!.is_credit),
        adjustment!.source,
      ],
      ['write_off', 0.99, 1, 'fhir'],
    );
    assert.deepEqual(Object.values(await account()).map(Number), [20000.99, 20000.99, 0]);

    // The first payment is cancelled: not counted any more (its allocation stays, marked).
    await s.fhir.put(reconciliation('pr-1', [{ amount: 5000 }], 'cancelled'));
    await s.running.caughtUp();
    assert.deepEqual([(await money()).status, (await money()).paid], ['partially_paid', 15000.99]);
    // A refund of 1000 (negative amount) counts against what was paid.
    await s.fhir.put(reconciliation('pr-3', [{ amount: -1000 }]));
    await s.running.caughtUp();
    assert.deepEqual([(await money()).paid, (await money()).balance], [14000.99, 6000]);
    const allocations = await s.db.billing.query<Record<string, any>>(
      'SELECT allocation_type, allocated_amount, payment_status FROM invoice_payment_allocations ORDER BY allocated_amount',
    );
    assert.deepEqual(
      allocations.map((a) => [a.allocation_type, Number(a.allocated_amount), a.payment_status]),
      [
        ['refund', 1000, 'active'],
        ['partial', 5000, 'cancelled'],
        ['partial', 15000, 'active'],
      ],
    );
    // Deleting the refund: the invoice goes back.
    await s.fhir.remove('PaymentReconciliation', 'pr-3');
    await s.running.caughtUp();
    assert.deepEqual([(await money()).paid, (await money()).balance], [15000.99, 5000]);
  });

  it('an invoice whose totals do not reconcile is a dead letter naming the difference, and its correction clears it', async () => {
    await s.fhir.put(invoice('issued', { id: 'inv-bad', totalGross: { value: 20001, currency: 'SDG' } }));
    await s.running.caughtUp();
    const letter = (await s.running.status())
      .find((p) => p.projection === 'billing')!
      .deadLetters.find((d) => d.resourceId === 'inv-bad');
    assert.match(letter!.error, /totalGross 20001 ≠ lines 19300.99 \+ tax 1500 − discount 800/);
    assert.equal(await s.one(s.db.billing, 'SELECT 1 FROM invoices WHERE fhir_id = ?', ['inv-bad']), undefined);
    await s.fhir.put(invoice('issued', { id: 'inv-bad' }));
    await s.running.caughtUp();
    const status = (await s.running.status()).find((p) => p.projection === 'billing')!;
    assert.equal(
      status.deadLetters.find((d) => d.resourceId === 'inv-bad'),
      undefined,
      'the corrected version cleared it',
    );
    assert.deepEqual(
      status.supersededDeadLetters
        .filter((d) => d.resourceId === 'inv-bad')
        .map((d) => [d.failedVersion, d.supersededBy]),
      [[1, 2]],
    );
    assert.ok(await s.one(s.db.billing, 'SELECT 1 FROM invoices WHERE fhir_id = ?', ['inv-bad']));
    // The console's projections view: no dead letter to act on, the superseded one listed as such.
    const admin = projectionAdmin(() => s.running);
    const row = (await admin.projections()).find((p) => p.name === 'billing')!;
    assert.deepEqual([row.deadLetters, row.supersededDeadLetters], [0, 1]);
    const listed = (await admin.deadLetters('billing')).find((d) => d.id === 'Invoice/inv-bad')!;
    assert.deepEqual([listed.state, listed.version, listed.supersededBy], ['superseded', 1, 2]);
  });

  const claim = (note?: string): Resource => ({
    resourceType: 'Claim',
    id: 'clm-eob',
    status: 'active',
    use: 'claim',
    type: { coding: [{ code: 'professional' }] },
    patient,
    created: '2025-03-05T08:00:00Z',
    provider: { reference: `Organization/${ORG}` },
    priority: { coding: [{ code: 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: { display: 'NHIF' } }],
    item: [
      {
        sequence: 1,
        productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] },
        net: { value: 700 },
      },
      {
        sequence: 2,
        productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '87207' }] },
        net: { value: 300 },
      },
    ],
    total: { value: 1000, currency: 'SDG' },
    ...(note ? { supportingInfo: [{ sequence: 1, category: { text: 'note' }, valueString: note }] } : {}),
  });
  const adjudication = (category: string, value: number) => ({
    category: { coding: [{ code: category }] },
    amount: { value, currency: 'SDG' },
  });

  it('a ClaimResponse (queued) then an ExplanationOfBenefit (paid) set the claim; a later Claim update does not reset it; lines carry the adjudication', async () => {
    const claimRow = async () =>
      (await s.one(s.db.billing, 'SELECT * FROM insurance_claims WHERE fhir_id = ?', ['clm-eob']))!;
    await s.fhir.put(claim());
    await s.running.caughtUp();
    assert.equal((await claimRow()).status, 'submitted');
    await s.fhir.put({
      resourceType: 'ClaimResponse',
      id: 'cr-eob',
      status: 'active',
      type: { coding: [{ code: 'professional' }] },
      use: 'claim',
      patient,
      created: '2025-03-06T00:00:00Z',
      insurer: { display: 'NHIF' },
      request: { reference: 'Claim/clm-eob' },
      outcome: 'queued',
    });
    await s.running.caughtUp();
    assert.equal((await claimRow()).status, 'pending');
    await s.fhir.put({
      resourceType: 'ExplanationOfBenefit',
      id: 'eob-1',
      status: 'active',
      type: { coding: [{ code: 'professional' }] },
      use: 'claim',
      patient,
      created: '2025-03-20T00:00:00Z',
      insurer: { display: 'NHIF' },
      provider: { reference: `Organization/${ORG}` },
      claim: { reference: 'Claim/clm-eob' },
      outcome: 'complete',
      insurance: [{ focal: true, coverage: { display: 'NHIF' } }],
      item: [
        {
          sequence: 1,
          productOrService: { text: 'visit' },
          adjudication: [adjudication('eligible', 700), adjudication('benefit', 560), adjudication('copay', 140)],
        },
        {
          sequence: 2,
          productOrService: { text: 'smear' },
          adjudication: [adjudication('eligible', 0), adjudication('benefit', 0)],
        },
      ],
      total: [adjudication('eligible', 700), adjudication('benefit', 560), adjudication('copay', 140)],
      payment: { amount: { value: 560, currency: 'SDG' }, date: '2025-03-21' },
    } as Resource);
    await s.running.caughtUp();
    const paid = await claimRow();
    assert.deepEqual(
      [
        paid.status,
        Number(paid.paid_amount),
        Number(paid.allowed_amount),
        Number(paid.patient_responsibility),
        paid.paid_date,
      ],
      ['paid', 560, 700, 140, '2025-03-21 00:00:00'],
    );
    const lines = await s.db.billing.query<Record<string, any>>(
      'SELECT line_number, allowed_amount, paid_amount, line_status FROM claim_line_items WHERE claim_id = ? ORDER BY line_number',
      [paid.id],
    );
    assert.deepEqual(
      lines.map((l) => [l.line_number, Number(l.allowed_amount), Number(l.paid_amount), l.line_status]),
      [
        [1, 700, 560, 'approved'],
        [2, 0, 0, 'denied'],
      ],
    );
    // The Claim is updated after it was paid: still paid, lines still adjudicated.
    await s.fhir.put(claim('resent with a note'));
    await s.running.caughtUp();
    const after = await claimRow();
    assert.deepEqual([after.status, Number(after.paid_amount), after.fhir_version], ['paid', 560, 2]);
    assert.equal(
      Number(
        (await s.one(s.db.billing, 'SELECT paid_amount FROM claim_line_items WHERE claim_id = ? AND line_number = 1', [
          after.id,
        ]))!.paid_amount,
      ),
      560,
    );
    const needing = await s.db.billing.query('SELECT 1 FROM v_claims_needing_action WHERE claim_number = ?', [
      after.claim_number,
    ]);
    assert.equal(needing.length, 0, 'a paid claim needs no action');
  });

  it('a rewound cursor changes nothing, at any point of the replay (each replayed batch checked)', async () => {
    const before = await snapshotRows(s.targets.targets);
    const seen = new Set<string>();
    let checks = 0;
    const check = async () => {
      checks++;
      const c = await s.one(s.db.billing, 'SELECT status, paid_amount FROM insurance_claims WHERE fhir_id = ?', [
        'clm-eob',
      ]);
      const i = await s.one(s.db.billing, 'SELECT status, paid_amount FROM invoices WHERE fhir_id = ?', ['inv-pay']);
      seen.add(`${c!.status} ${c!.paid_amount} | ${i!.status} ${i!.paid_amount}`);
    };
    for (const rewindTo of [0, 5]) {
      await s.running.stop();
      await s.db.billing.query('UPDATE projection_state SET cursor_seq = ? WHERE projection = ?', [
        rewindTo,
        'billing',
      ]);
      const pending: Promise<void>[] = [];
      await s.restart({ batchSize: 1, onBatch: () => void pending.push(check()) });
      await s.running.caughtUp();
      await Promise.all(pending);
    }
    assert.ok(checks >= 20, `every billing change replayed one batch at a time (${checks} batches)`);
    assert.deepEqual(
      [...seen],
      ['paid 560.00 | partially_paid 15000.99'],
      'never submitted, pending or unpaid in between',
    );
    assert.deepEqual(await snapshotRows(s.targets.targets), before);
    await s.restart({ batchSize: 200, onBatch: undefined });
  });
});
