/**
 * Corrections a billing office makes after the fact, on the real MariaDB (issue #17 items 1, 2): a payment booked
 * to the wrong invoice moved to the right one, a reconciliation losing one of its invoices, an invoice withdrawn
 * (entered-in-error) or deleted, an ExplanationOfBenefit arriving before its Claim and later withdrawn. Each time
 * the balances, statuses and account totals are those the FHIR resources state now.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { openScenario, ORG, patient, type Scenario } from './testing/scenario-harness.js';

const invoice = (id: string, price: number, status = 'issued'): Resource =>
  ({
    resourceType: 'Invoice',
    id,
    status,
    subject: patient,
    issuer: { reference: `Organization/${ORG}` },
    account: { reference: 'Account/acct-c' },
    date: '2025-07-01',
    lineItem: [
      {
        sequence: 1,
        chargeItemCodeableConcept: { text: 'Consultation' },
        priceComponent: [{ type: 'base', amount: { value: price, currency: 'SDG' } }],
      },
    ],
  }) as Resource;
const payment = (id: string, details: Array<[invoice: string, amount: number]>, status = 'active'): Resource =>
  ({
    resourceType: 'PaymentReconciliation',
    id,
    status,
    created: '2025-07-02T09:00:00Z',
    paymentDate: '2025-07-02',
    paymentAmount: { value: details.reduce((s, [, a]) => s + a, 0), currency: 'SDG' },
    detail: details.map(([inv, amount]) => ({
      type: { coding: [{ code: 'payment' }] },
      request: { reference: `Invoice/${inv}` },
      amount: { value: amount, currency: 'SDG' },
    })),
  }) as Resource;

describe('billing corrections after the fact (MariaDB)', () => {
  let s: Scenario;
  const money = async (id: string) => {
    const i = await s.one(s.db.billing, 'SELECT status, paid_amount, balance_due FROM invoices WHERE fhir_id = ?', [
      id,
    ]);
    return i ? [i.status, Number(i.paid_amount), Number(i.balance_due)] : undefined;
  };
  const account = async () => {
    const a = (await s.one(
      s.db.billing,
      'SELECT total_charges, total_payments FROM billing_accounts WHERE fhir_id = ?',
      ['acct-c'],
    ))!;
    return [Number(a.total_charges), Number(a.total_payments)];
  };
  const put = async (...r: Resource[]) => {
    await s.fhir.put(...r);
    await s.running.caughtUp();
  };

  before(async () => {
    s = await openScenario();
    await put(
      { resourceType: 'Account', id: 'acct-c', status: 'active', subject: [patient] },
      invoice('inv-a', 1000),
      invoice('inv-b', 2000),
      invoice('inv-c', 4000),
    );
  });
  after(async () => {
    await s?.close();
  });

  it('a payment booked to the wrong invoice and moved to the right one', async () => {
    await put(payment('pr-x', [['inv-a', 600]]));
    assert.deepEqual(await money('inv-a'), ['partially_paid', 600, 400]);
    await put(payment('pr-x', [['inv-b', 600]]));
    assert.deepEqual(await money('inv-a'), ['pending', 0, 1000], 'the wrong invoice is back to unpaid');
    assert.deepEqual(await money('inv-b'), ['partially_paid', 600, 1400]);
    assert.deepEqual(await account(), [7000, 600]);
  });

  it('a reconciliation over two invoices losing one of them', async () => {
    await put(
      payment('pr-y', [
        ['inv-b', 1400],
        ['inv-c', 1000],
      ]),
    );
    assert.deepEqual(await money('inv-b'), ['paid', 2000, 0]);
    await put(payment('pr-y', [['inv-c', 1000]]));
    assert.deepEqual(await money('inv-b'), ['partially_paid', 600, 1400]);
    assert.deepEqual(await money('inv-c'), ['partially_paid', 1000, 3000]);
    assert.deepEqual(await account(), [7000, 1600]);
  });

  it('an invoice entered in error leaves the account totals; a deleted one too', async () => {
    await put(invoice('inv-c', 4000, 'entered-in-error'));
    assert.equal((await money('inv-c'))![0], 'void');
    assert.deepEqual(await account(), [3000, 600]);
    await s.fhir.remove('Invoice', 'inv-a');
    await s.running.caughtUp();
    assert.deepEqual(await account(), [2000, 600]);
    const outstanding = await s.db.billing.query<{ invoice_number: string }>(
      'SELECT invoice_number FROM v_outstanding_invoices',
    );
    assert.equal(outstanding.length, 1, 'only inv-b is outstanding');
  });

  it('an ExplanationOfBenefit before its Claim adjudicates the claim when it comes; withdrawn, the claim is submitted again', async () => {
    const eob = (status: string) =>
      ({
        resourceType: 'ExplanationOfBenefit',
        id: 'eob-c',
        status,
        type: { coding: [{ code: 'professional' }] },
        use: 'claim',
        patient,
        created: '2025-07-10T00:00:00Z',
        insurer: { display: 'NHIF' },
        provider: { reference: `Organization/${ORG}` },
        claim: { reference: 'Claim/clm-c' },
        outcome: 'complete',
        insurance: [{ focal: true, coverage: { display: 'NHIF' } }],
        payment: { amount: { value: 900, currency: 'SDG' }, date: '2025-07-11' },
      }) as Resource;
    await put(eob('active'));
    await put({
      resourceType: 'Claim',
      id: 'clm-c',
      status: 'active',
      use: 'claim',
      type: { coding: [{ code: 'professional' }] },
      patient,
      created: '2025-07-01T08:00:00Z',
      provider: { reference: `Organization/${ORG}` },
      priority: { coding: [{ code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true, coverage: { display: 'NHIF' } }],
      item: [{ sequence: 1, productOrService: { text: 'visit' }, net: { value: 1000, currency: 'SDG' } }],
      total: { value: 1000, currency: 'SDG' },
    });
    const claim = async () => {
      const c = (await s.one(
        s.db.billing,
        'SELECT status, paid_amount, paid_date FROM insurance_claims WHERE fhir_id = ?',
        ['clm-c'],
      ))!;
      return [c.status, Number(c.paid_amount), c.paid_date];
    };
    assert.deepEqual(await claim(), ['paid', 900, '2025-07-11 00:00:00']);
    await put(eob('entered-in-error'));
    assert.deepEqual(await claim(), ['submitted', 0, null]);
    await put(eob('active'));
    await s.fhir.remove('ExplanationOfBenefit', 'eob-c');
    await s.running.caughtUp();
    assert.deepEqual(await claim(), ['submitted', 0, null], 'deleted: it counts for nothing either');
  });
});
