/**
 * A dead letter cleared by the fix of what it waits for (issue #17 item 4, "a corrected resource clears its dead
 * letter"): with automatic retries exhausted (maxAttempts 1), a payment that came before its invoice and a device
 * reading that came before its device are delivered once the invoice / device arrives, however late, without a
 * person pressing retry; a letter refused for its own content is not woken by unrelated deliveries and is cleared
 * by its correction; afterwards a rewound cursor brings no letter back and changes no row.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { daysAgo, loinc, openScenario, ORG, patient, type Scenario } from './testing/scenario-harness.js';
import { snapshotRows } from './testing/target-databases.js';

const invoice = (id: string, gross = 3000, account?: string): Resource => ({
  resourceType: 'Invoice',
  id,
  status: 'issued',
  subject: patient,
  ...(account ? { account: { reference: `Account/${account}` } } : {}),
  issuer: { reference: `Organization/${ORG}` },
  date: '2025-06-01',
  lineItem: [
    {
      sequence: 1,
      chargeItemCodeableConcept: { text: 'Theatre fee' },
      priceComponent: [{ type: 'base', amount: { value: 3000, currency: 'SDG' } }],
    },
  ],
  totalGross: { value: gross, currency: 'SDG' },
});

describe('dead letters cleared by the fix of what they wait for (retries exhausted)', () => {
  let s: Scenario;
  const at = daysAgo(1);
  const letters = async (projection: string) =>
    (await s.running.status()).find((p) => p.projection === projection)!.deadLetters;
  const until = async (what: string, test: () => Promise<boolean>) => {
    const deadline = Date.now() + 15_000;
    while (!(await test())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    s = await openScenario({ maxAttempts: 1 });
    await s.fhir.put(
      {
        resourceType: 'PaymentReconciliation',
        id: 'pr-early',
        status: 'active',
        created: '2025-06-01T10:00:00Z',
        paymentDate: '2025-06-01',
        paymentAmount: { value: 1200, currency: 'SDG' },
        detail: [
          {
            type: { coding: [{ code: 'payment' }] },
            request: { reference: 'Invoice/inv-late' },
            amount: { value: 1200, currency: 'SDG' },
          },
        ],
      },
      {
        resourceType: 'Observation',
        id: 'hr-early',
        status: 'final',
        code: loinc('8867-4', 'Heart rate'),
        subject: patient,
        device: { reference: 'Device/dev-late' },
        effectiveDateTime: at,
        valueQuantity: { value: 77, unit: '/min' },
      },
      invoice('inv-refused', 3100),
      // A chain: the payment waits for an invoice that waits for its account.
      invoice('inv-chain', 3000, 'acct-late'),
      {
        resourceType: 'PaymentReconciliation',
        id: 'pr-chain',
        status: 'active',
        created: '2025-06-01T11:00:00Z',
        paymentDate: '2025-06-01',
        paymentAmount: { value: 3000, currency: 'SDG' },
        detail: [
          {
            type: { coding: [{ code: 'payment' }] },
            request: { reference: 'Invoice/inv-chain' },
            amount: { value: 3000, currency: 'SDG' },
          },
        ],
      },
    );
    await s.running.caughtUp();
  });
  after(async () => {
    await s?.close();
  });

  it('the early payment and reading wait as dead letters with no retry left', async () => {
    await new Promise((r) => setTimeout(r, 600)); // past any automatic retry (retryBaseMs 200)
    const billing = await letters('billing');
    assert.deepEqual(
      billing.map((l) => [l.resourceId, l.attempts, l.nextAttemptAt]),
      [
        ['pr-early', 1, null],
        ['inv-refused', 1, null],
        ['inv-chain', 1, null],
        ['pr-chain', 1, null],
      ],
    );
    assert.match(billing[0]!.error, /Invoice\/inv-late is not in the billing database/);
    assert.deepEqual(
      (await letters('device')).map((l) => [l.resourceId, l.nextAttemptAt]),
      [['hr-early', null]],
    );
  });

  it('the invoice and the device arriving deliver them: balance and reading right, letters gone', async () => {
    await s.fhir.put(invoice('inv-late'), {
      resourceType: 'Device',
      id: 'dev-late',
      status: 'active',
      serialNumber: 'SN-LATE',
      type: { text: 'monitor' },
    });
    await s.running.caughtUp();
    await until(
      'the payment to land',
      async () => !(await letters('billing')).some((l) => l.resourceId === 'pr-early'),
    );
    await until('the reading to land', async () => (await letters('device')).length === 0);
    const inv = (await s.one(s.db.billing, 'SELECT status, paid_amount, balance_due FROM invoices WHERE fhir_id = ?', [
      'inv-late',
    ]))!;
    assert.deepEqual([inv.status, Number(inv.paid_amount), Number(inv.balance_due)], ['partially_paid', 1200, 1800]);
    const reading = await s.one(s.db.device, 'SELECT reading_value, source FROM device_readings');
    assert.deepEqual([Number(reading?.reading_value), reading?.source], [77, 'fhir']);
    await s.fhir.put({ resourceType: 'Account', id: 'acct-late', status: 'active', subject: [patient] });
    await s.running.caughtUp();
    await until(
      'the chain to land (account → invoice retried → payment)',
      async () => !(await letters('billing')).some((l) => l.resourceId.endsWith('-chain')),
    );
    assert.deepEqual(
      await s
        .one(s.db.billing, 'SELECT status, paid_amount FROM invoices WHERE fhir_id = ?', ['inv-chain'])
        .then((i) => [i?.status, Number(i?.paid_amount)]),
      ['paid', 3000],
    );
    const refused = (await letters('billing')).find((l) => l.resourceId === 'inv-refused');
    assert.deepEqual(
      [refused?.attempts, refused?.nextAttemptAt],
      [1, null],
      'a letter refused for its own content is not woken by other deliveries',
    );
  });

  it('the refused invoice corrected clears its letter; a rewound cursor then brings no letter back and changes no row', async () => {
    await s.fhir.put(invoice('inv-refused'));
    await s.running.caughtUp();
    assert.deepEqual(await letters('billing'), []);
    const before = await snapshotRows(s.targets.targets);
    await s.restart({}, async () => {
      await s.db.billing.query('UPDATE projection_state SET cursor_seq = 0');
      await s.db.device.query('UPDATE projection_state SET cursor_seq = 0');
    });
    await s.running.caughtUp();
    assert.deepEqual(await letters('billing'), []);
    assert.deepEqual(await letters('device'), []);
    assert.deepEqual(await snapshotRows(s.targets.targets), before);
  });
});
