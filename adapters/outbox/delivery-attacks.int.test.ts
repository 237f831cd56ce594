/**
 * Delivery under attack (issue #17 "done when"): a billing office's day — invoices, payments, a corrected payment, a
 * cancelled one, one sent twice, a deleted one, a refund, a corrected price, an invoice refused for its totals and
 * then corrected, a claim adjudicated and updated afterwards — plus lab and medication corrections, written into a
 * PostgreSQL FHIR store while the projections run. Each attack must end with exactly the rows of one quiet run
 * after the writes (the reference), and the balances must be those the FHIR resources state:
 * - three dispatchers of every projection (three API nodes) racing on the same targets while the writes go on;
 * - a dispatcher SIGKILLed inside a batch (its rows written, not committed), then a new one;
 * - a rebuild SIGKILLed halfway (it is one transaction: nothing of it stays), then a rebuild that completes;
 * - the cursor rewound to the start after the refused invoice was corrected: nothing changes, no dead letter again;
 * - a rebuild on one node while two others deliver and the writes go on.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Resource } from '@medplum/fhirtypes';
import { openPostgresStore } from '../../server/store/postgres/open-postgres-store.js';
import { createTestDatabase } from '../../server/store/postgres/testing/test-stores.js';
import type { ResourceStore } from '../../server/store/resource-store.js';
import { listDeadLetters } from './projection-state.js';
import { openSqlClient } from './sql-client.js';
import {
  openDispatchers,
  startProjections,
  type ProjectionTargets,
  type RunningProjections,
} from './start-projections.js';
import { fhirWriter } from './testing/fhir-writer.js';
import { DR, labCategory, loinc, ORG, P, patient } from './testing/scenario-harness.js';
import { createTestTargets, snapshotRows, type TestTargets } from './testing/target-databases.js';

const CHILD = fileURLToPath(new URL('./testing/dying-dispatcher.ts', import.meta.url));

const invoice = (id: string, price: number, extra: Record<string, unknown> = {}): Resource => ({
  resourceType: 'Invoice',
  id,
  status: 'issued',
  subject: patient,
  issuer: { reference: `Organization/${ORG}` },
  account: { reference: 'Account/acct-w' },
  date: '2025-05-01',
  lineItem: [
    {
      sequence: 1,
      chargeItemCodeableConcept: { text: 'Ward day' },
      priceComponent: [{ type: 'base', amount: { value: price, currency: 'SDG' } }],
    },
  ],
  totalNet: { value: price, currency: 'SDG' },
  totalGross: { value: price, currency: 'SDG' },
  ...extra,
});
const payment = (id: string, invoiceId: string, amount: number, status = 'active'): Resource =>
  ({
    resourceType: 'PaymentReconciliation',
    id,
    status,
    created: '2025-05-02T09:00:00Z',
    paymentDate: '2025-05-02',
    paymentAmount: { value: amount, currency: 'SDG' },
    detail: [
      {
        type: { coding: [{ code: 'payment' }] },
        request: { reference: `Invoice/${invoiceId}` },
        amount: { value: amount, currency: 'SDG' },
      },
    ],
  }) as Resource;
const claim = (note?: string): Resource => ({
  resourceType: 'Claim',
  id: 'clm-w',
  status: 'active',
  use: 'claim',
  type: { coding: [{ code: 'professional' }] },
  patient,
  created: '2025-05-01T08:00:00Z',
  provider: { reference: `Organization/${ORG}` },
  priority: { coding: [{ code: 'normal' }] },
  insurance: [{ sequence: 1, focal: true, coverage: { display: 'NHIF' } }],
  item: [{ sequence: 1, productOrService: { text: 'visit' }, net: { value: 1000, currency: 'SDG' } }],
  total: { value: 1000, currency: 'SDG' },
  ...(note ? { supportingInfo: [{ sequence: 1, category: { text: 'note' }, valueString: note }] } : {}),
});
const labResult = (at: string, category = labCategory): Resource => ({
  resourceType: 'Observation',
  id: 'lab-w',
  status: 'final',
  category,
  code: loinc('2345-7', 'Glucose'),
  subject: patient,
  effectiveDateTime: at,
  valueQuantity: { value: 6.2, unit: 'mmol/L' },
});
const prescription = (dosage?: unknown): Resource => ({
  resourceType: 'MedicationRequest',
  id: 'mr-w',
  status: 'active',
  intent: 'order',
  subject: patient,
  requester: { reference: `Practitioner/${DR}` },
  medicationCodeableConcept: {
    coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '197361', display: 'Amlodipine 5 MG' }],
  },
  authoredOn: '2025-05-01',
  ...(dosage ? { dosageInstruction: [dosage] } : {}),
});

/** The day's writes, in order, in chunks (a chunk is one store transaction); `remove` deletes. */
type Step = Resource[] | { remove: [string, string] };
const DAY: Step[] = [
  [
    { resourceType: 'Patient', id: P, name: [{ family: 'Ahmed', given: ['Fatima'] }] },
    { resourceType: 'Account', id: 'acct-w', status: 'active', subject: [patient] },
  ],
  [1, 2, 3, 4].map((i) => invoice(`inv-${i}`, 1000 * i)),
  [payment('pr-1', 'inv-1', 400), payment('pr-2', 'inv-2', 800), claim(), labResult('2025-05-01T08:00:00Z')],
  [5, 6, 7, 8].map((i) => invoice(`inv-${i}`, 1000 * i)),
  [payment('pr-2', 'inv-2', 500)], // corrected amount
  [payment('pr-3', 'inv-3', 1200), payment('pr-4', 'inv-4', 1600), prescription()],
  [payment('pr-3', 'inv-3', 1200, 'cancelled')],
  [payment('pr-4', 'inv-4', 1600)], // sent again, unchanged
  [invoice('inv-bad', 900, { totalGross: { value: 990, currency: 'SDG' } })], // refused: totals disagree
  [
    {
      resourceType: 'ClaimResponse',
      id: 'cr-w',
      status: 'active',
      type: { coding: [{ code: 'professional' }] },
      use: 'claim',
      patient,
      created: '2025-05-03T00:00:00Z',
      insurer: { display: 'NHIF' },
      request: { reference: 'Claim/clm-w' },
      outcome: 'queued',
    },
    payment('pr-5', 'inv-5', 2000),
    payment('pr-6', 'inv-6', 2400),
  ],
  [invoice('inv-5', 4500)], // corrected price
  { remove: ['PaymentReconciliation', 'pr-6'] },
  [labResult('2025-05-01T09:30:00Z')], // corrected time
  [payment('pr-7', 'inv-7', 2800), payment('pr-7r', 'inv-7', -200), payment('pr-8', 'inv-8', 3200)],
  [
    {
      resourceType: 'ExplanationOfBenefit',
      id: 'eob-w',
      status: 'active',
      type: { coding: [{ code: 'professional' }] },
      use: 'claim',
      patient,
      created: '2025-05-10T00:00:00Z',
      insurer: { display: 'NHIF' },
      provider: { reference: `Organization/${ORG}` },
      claim: { reference: 'Claim/clm-w' },
      outcome: 'complete',
      insurance: [{ focal: true, coverage: { display: 'NHIF' } }],
      total: [{ category: { coding: [{ code: 'benefit' }] }, amount: { value: 700, currency: 'SDG' } }],
      payment: { amount: { value: 700, currency: 'SDG' }, date: '2025-05-11' },
    },
    prescription({ route: { text: 'oral' }, doseAndRate: [{ doseQuantity: { value: 5, unit: 'mg' } }] }),
  ],
  [invoice('inv-bad', 900)], // corrected: clears its dead letter
  [claim('resubmitted scan')], // a later Claim update must not reset the paid claim
  [labResult('2025-05-01T09:30:00Z', [{ coding: [{ code: 'vital-signs' }] }] as never)], // re-categorised
];
/** What the FHIR resources state at the end: paid per invoice and its total. */
const EXPECTED_INVOICES: Record<string, [total: number, paid: number]> = {
  'inv-1': [1000, 400],
  'inv-2': [2000, 500],
  'inv-3': [3000, 0],
  'inv-4': [4000, 1600],
  'inv-5': [4500, 2000],
  'inv-6': [6000, 0],
  'inv-7': [7000, 2600],
  'inv-8': [8000, 3200],
  'inv-bad': [900, 0],
};

describe('delivery attacks: concurrent dispatchers, SIGKILL in a batch and in a rebuild, a rewound cursor', () => {
  let store: ResourceStore;
  let storeUrl: string;
  let dropStore: () => Promise<void>;
  let reference: TestTargets;
  let raced: TestTargets;
  let killed: TestTargets;

  const write = async (steps: Step[], pauseMs = 0) => {
    const fhir = fhirWriter(store);
    for (const step of steps) {
      if (Array.isArray(step)) await fhir.put(...step);
      else await fhir.remove(...step.remove);
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const runUntilCaughtUp = async (targets: ProjectionTargets) => {
    const running = await startProjections({ store, targets, pollIntervalMs: 10 });
    try {
      await running.caughtUp(120_000);
    } finally {
      await running.stop();
    }
  };
  const billingOnly = (t: TestTargets) => ({ billingMysqlUrl: t.targets.billingMysqlUrl });
  const failedLetters = async (t: TestTargets) => {
    const out: string[] = [];
    for (const [name, url] of [
      ['billing', t.targets.billingMysqlUrl],
      ['lab', t.targets.labMysqlUrl],
      ['medication', t.targets.medicationMysqlUrl],
      ['device', t.targets.devicesPostgresUrl],
    ] as const) {
      const db = await openSqlClient(url, 1);
      try {
        const letters = await listDeadLetters(db, name).catch(() => []);
        out.push(...letters.map((l) => `${name} ${l.resourceType}/${l.resourceId} v${l.failedVersion}: ${l.error}`));
      } finally {
        await db.close();
      }
    }
    return out;
  };
  const spawnDying = (targets: TestTargets, mode: 'deliver' | 'rebuild', n: number) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, storeUrl, JSON.stringify(targets.targets), 'billing', mode, String(n)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
    return { exited, output: () => output };
  };

  before(async () => {
    const database = await createTestDatabase();
    storeUrl = database.url;
    dropStore = database.drop;
    store = await openPostgresStore({ url: storeUrl, poolSize: 8 });
    await store.init();
    [reference, raced, killed] = await Promise.all([createTestTargets(), createTestTargets(), createTestTargets()]);
  });
  after(async () => {
    await store?.close();
    await Promise.all([reference?.drop(), raced?.drop(), killed?.drop()]);
    await dropStore?.();
  });

  it('three dispatchers per projection racing while the writes go on end with the rows of one quiet run, the balances FHIR states', async () => {
    const nodes: RunningProjections[] = [];
    for (const batchSize of [1, 3, 16])
      // exclusive: false — no lease, so the three really race on the cursor row lock
      nodes.push(
        await startProjections({ store, targets: raced.targets, pollIntervalMs: 5, batchSize, exclusive: false }),
      );
    try {
      await write(DAY, 15);
      for (const node of nodes) await node.caughtUp(120_000);
    } finally {
      for (const node of nodes) await node.stop();
    }
    await runUntilCaughtUp(reference.targets);
    assert.deepEqual(await failedLetters(reference), [], 'the quiet run leaves no dead letter');
    assert.deepEqual(await failedLetters(raced), [], 'nor do the racing nodes');
    assert.deepEqual(await snapshotRows(raced.targets), await snapshotRows(reference.targets));

    const billing = await openSqlClient(raced.targets.billingMysqlUrl, 1);
    const lab = await openSqlClient(raced.targets.labMysqlUrl, 1);
    const medication = await openSqlClient(raced.targets.medicationMysqlUrl, 1);
    try {
      const invoices = await billing.query<Record<string, any>>(
        'SELECT fhir_id, total_amount, paid_amount, balance_due, status FROM invoices ORDER BY fhir_id',
      );
      assert.deepEqual(
        Object.fromEntries(invoices.map((i) => [i.fhir_id, [Number(i.total_amount), Number(i.paid_amount)]])),
        EXPECTED_INVOICES,
      );
      for (const i of invoices)
        assert.equal(
          i.status,
          Number(i.paid_amount) === 0 ? 'pending' : 'partially_paid',
          `${i.fhir_id}: status from its balance`,
        );
      const allocations = await billing.query<Record<string, any>>(
        'SELECT COALESCE(payment_status, ?) AS status, COUNT(*) AS n FROM invoice_payment_allocations WHERE source = ? GROUP BY 1 ORDER BY 1',
        ['-', 'fhir'],
      );
      // pr-1, pr-2, pr-4 (sent twice: one row), pr-5, pr-7, pr-7r, pr-8 counted; pr-3 kept as cancelled; pr-6 deleted.
      assert.deepEqual(
        allocations.map((a) => [a.status, Number(a.n)]),
        [
          ['active', 7],
          ['cancelled', 1],
        ],
      );
      const account = (
        await billing.query<Record<string, any>>(
          'SELECT total_charges, total_payments FROM billing_accounts WHERE fhir_id = ?',
          ['acct-w'],
        )
      )[0]!;
      const sum = (k: 0 | 1) => Object.values(EXPECTED_INVOICES).reduce((s, v) => s + v[k], 0);
      assert.deepEqual([Number(account.total_charges), Number(account.total_payments)], [sum(0), sum(1)]);
      const c = (
        await billing.query<Record<string, any>>('SELECT status, paid_amount FROM insurance_claims WHERE fhir_id = ?', [
          'clm-w',
        ])
      )[0]!;
      assert.deepEqual([c.status, Number(c.paid_amount)], ['paid', 700], 'the later Claim update did not reset it');
      const results = await lab.query('SELECT 1 FROM lab_results WHERE fhir_id = ?', ['lab-w']);
      assert.equal(results.length, 0, 're-categorised away from laboratory: the result left');
      const orders = await lab.query<Record<string, any>>('SELECT deleted_at FROM lab_orders');
      assert.deepEqual(
        orders.map((o) => o.deleted_at !== null),
        [true],
        'one implicit order (the corrected time moved it in place), soft-deleted with its result',
      );
      const rx = (
        await medication.query<Record<string, any>>(
          'SELECT dose, dose_unit, route FROM prescriptions WHERE fhir_id = ?',
          ['mr-w'],
        )
      )[0]!;
      assert.deepEqual([Number(rx.dose), rx.dose_unit, rx.route], [5, 'mg', 'oral']);
    } finally {
      await Promise.all([billing.close(), lab.close(), medication.close()]);
    }
  });

  it('a dispatcher SIGKILLed inside a batch (rows written, nothing committed) and a new one end with the rows of the quiet run', async () => {
    const child = spawnDying(killed, 'deliver', 8); // batches of 5: dies in the second billing batch
    assert.equal(await child.exited, 'SIGKILL', child.output());
    assert.match(child.output(), /started/);
    const billing = await openSqlClient(killed.targets.billingMysqlUrl, 1);
    try {
      const [state] = await billing.query<{ cursor_seq: string }>(
        'SELECT cursor_seq FROM projection_state WHERE projection = ?',
        ['billing'],
      );
      const versions = await billing.query<{ resource_type: string; resource_id: string; version: number }>(
        'SELECT resource_type, resource_id, version FROM projection_versions',
      );
      const committed = (await store.changesAfter(0, 10_000)).filter((c) => c.seq <= Number(state!.cursor_seq));
      assert.ok(committed.length > 0, 'the first batch was committed');
      // Exactly what the committed batches applied: the batch being written when it died left nothing.
      const invoices = await billing.query<{ fhir_id: string; fhir_version: number }>(
        'SELECT fhir_id, fhir_version FROM invoices',
      );
      for (const i of invoices) {
        const v = versions.find((x) => x.resource_type === 'Invoice' && x.resource_id === i.fhir_id);
        assert.equal(Number(v?.version), Number(i.fhir_version), `Invoice/${i.fhir_id} row and version agree`);
        assert.ok(
          committed.some((c) => c.resourceType === 'Invoice' && c.id === i.fhir_id),
          `Invoice/${i.fhir_id} came from a committed batch`,
        );
      }
    } finally {
      await billing.close();
    }
    await runUntilCaughtUp(billingOnly(killed));
    assert.deepEqual(await snapshotRows(billingOnly(killed)), await snapshotRows(billingOnly(reference)));
  });

  it('a rebuild SIGKILLed halfway leaves every row as it was (marks included); the next rebuild gives the rows of the quiet run', async () => {
    const before = await snapshotRows(billingOnly(killed));
    const child = spawnDying(killed, 'rebuild', 12);
    assert.equal(await child.exited, 'SIGKILL', child.output());
    assert.deepEqual(await snapshotRows(billingOnly(killed)), before, 'the killed rebuild left nothing behind');
    const { dispatchers, clients } = await openDispatchers({ store, targets: billingOnly(killed) });
    try {
      const result = await dispatchers[0]!.rebuild();
      assert.equal(result.deadLetters, 0);
    } finally {
      for (const c of clients) await c.close();
    }
    assert.deepEqual(await snapshotRows(billingOnly(killed)), await snapshotRows(billingOnly(reference)));
  });

  it('the cursor rewound to the start after the corrected invoice: nothing changes, the refused version is not refused again', async () => {
    const before = await snapshotRows(raced.targets);
    for (const url of [raced.targets.billingMysqlUrl, raced.targets.labMysqlUrl, raced.targets.medicationMysqlUrl]) {
      const db = await openSqlClient(url, 1);
      await db.query('UPDATE projection_state SET cursor_seq = 0');
      await db.close();
    }
    const running = await startProjections({ store, targets: raced.targets, pollIntervalMs: 5, batchSize: 1 });
    try {
      await running.caughtUp(120_000);
      const billing = (await running.status()).find((s) => s.projection === 'billing')!;
      assert.deepEqual(billing.deadLetters, []);
      assert.deepEqual(
        billing.supersededDeadLetters.map((d) => [d.resourceId, d.failedVersion, d.supersededBy]),
        [['inv-bad', 1, 2]],
      );
    } finally {
      await running.stop();
    }
    assert.deepEqual(await snapshotRows(raced.targets), before);
  });

  it('a rebuild on one node while two others deliver and the writes go on ends with the rows of the quiet run', async () => {
    const more: Step[] = [
      [payment('pr-8', 'inv-8', 3000)], // corrected again
      [invoice('inv-9', 900)],
      [payment('pr-9', 'inv-9', 900)],
      { remove: ['PaymentReconciliation', 'pr-1'] },
      [invoice('inv-2', 2000, { note: [{ text: 'copy sent' }] })],
    ];
    const nodes: RunningProjections[] = [];
    for (const batchSize of [2, 8])
      // exclusive: false — no lease, so the two really race on the cursor row lock
      nodes.push(
        await startProjections({ store, targets: raced.targets, pollIntervalMs: 5, batchSize, exclusive: false }),
      );
    const rebuilder = await openDispatchers({ store, targets: raced.targets });
    try {
      const writing = write(more, 20);
      const rebuilt = await Promise.all(rebuilder.dispatchers.map((d) => d.rebuild()));
      assert.deepEqual(
        rebuilt.map((r) => r.deadLetters),
        [0, 0, 0, 0],
      );
      await writing;
      for (const node of nodes) await node.caughtUp(120_000);
    } finally {
      for (const node of nodes) await node.stop();
      for (const c of rebuilder.clients) await c.close();
    }
    await runUntilCaughtUp(reference.targets);
    assert.deepEqual(await failedLetters(raced), []);
    assert.deepEqual(await snapshotRows(raced.targets), await snapshotRows(reference.targets));
    const billing = await openSqlClient(raced.targets.billingMysqlUrl, 1);
    try {
      const paid = await billing.query<{ fhir_id: string; paid_amount: string }>(
        "SELECT fhir_id, paid_amount FROM invoices WHERE fhir_id IN ('inv-1', 'inv-8', 'inv-9') ORDER BY fhir_id",
      );
      assert.deepEqual(
        paid.map((p) => [p.fhir_id, Number(p.paid_amount)]),
        [
          ['inv-1', 0],
          ['inv-8', 3000],
          ['inv-9', 900],
        ],
      );
    } finally {
      await billing.close();
    }
  });
});
