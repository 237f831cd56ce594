/**
 * The Synthea load projected (issues #6 and #17 "done when"): a handful of bundles (projection-bundles: the
 * fhir-data-pipes hospital/practitioner bundles, Elisa944 and Joni720, the three smallest smart-r4-2019 patients)
 * written into a PostgreSQL FHIR store with a SNOMED CT → ICD-10 ConceptMap; the projected rows are counted against
 * the bundles and checked row by row against the FHIR resources (claims with their EOB outcome, lines and codes;
 * lab results; prescriptions). Service-owned rows sit beside them. A dispatcher in a child process is SIGKILLed in
 * the middle of the load, a new one finishes it, and the rows equal an uninterrupted run's; a rebuild gives the same
 * rows again; neither touches the service-owned rows.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Resource } from '@medplum/fhirtypes';
import { loadSynthea, syntheaMissing, writeAll } from '../../server/fhir/search/testing/synthea-loader.js';
import { openPostgresStore } from '../../server/store/postgres/open-postgres-store.js';
import { createTestDatabase } from '../../server/store/postgres/testing/test-stores.js';
import type { ResourceStore } from '../../server/store/resource-store.js';
import { startProjections } from './start-projections.js';
import { openSqlClient } from './sql-client.js';
import { createTestTargets, countRows, snapshotRows, type TestTargets } from './testing/target-databases.js';
import { expectedFromBundles, projectionBundles, type Expected } from './testing/synthea-selection.js';
import { checkClaims, checkLabResults, checkPrescriptions, TEST_CONCEPT_MAP } from './testing/synthea-checks.js';
import { insertServiceRows } from './testing/service-rows.js';
import { writeHandMade, type HandMade } from './testing/synthea-handmade.js';

const CHILD = fileURLToPath(new URL('./testing/dispatcher-child.ts', import.meta.url));

describe(
  'projections of a Synthea load (PostgreSQL FHIR store → MariaDB + PostgreSQL targets)',
  { skip: syntheaMissing() },
  () => {
    let store: ResourceStore;
    let dropStore: () => Promise<void>;
    let storeUrl: string;
    let a: TestTargets;
    let b: TestTargets;
    let expected: Expected;
    let loaded: Resource[];
    let handMade: HandMade;
    let head = 0;
    const readingAt = new Date(Date.now() - 86_400_000).toISOString();

    before(async () => {
      const database = await createTestDatabase();
      storeUrl = database.url;
      dropStore = database.drop;
      store = await openPostgresStore({ url: storeUrl, poolSize: 8 });
      await store.init();
      const files = projectionBundles();
      expected = expectedFromBundles(files);
      await writeAll(store, [
        { ...TEST_CONCEPT_MAP, meta: { versionId: '1', lastUpdated: '2023-12-31T00:00:00.000Z' } },
      ]);
      loaded = await loadSynthea(store, files);
      handMade = await writeHandMade(store, loaded);
      const all = await store.changesAfter(0, 100_000);
      head = all[all.length - 1]!.seq;
      [a, b] = await Promise.all([createTestTargets(), createTestTargets()]);
      await Promise.all([insertServiceRows(a.targets, readingAt), insertServiceRows(b.targets, readingAt)]);
    });
    after(async () => {
      await store?.close();
      await Promise.all([a?.drop(), b?.drop()]);
      await dropStore?.();
    });

    it('an uninterrupted run gives the rows the bundles call for, with no dead letters', async () => {
      const running = await startProjections({ store, targets: a.targets, pollIntervalMs: 20 });
      try {
        await running.caughtUp(240_000);
        const status = await running.status();
        assert.deepEqual(
          status.flatMap((s) =>
            s.deadLetters.map((d) => `${s.projection} ${d.resourceType}/${d.resourceId}: ${d.error}`),
          ),
          [],
        );
        assert.deepEqual(
          status.flatMap((s) =>
            s.supersededDeadLetters.map((d) => `${d.resourceId} v${d.failedVersion} → v${d.supersededBy}`),
          ),
          [`${handMade.failedThenFixed} v1 → v2`],
          "the failing claim's dead letter was superseded by its correction",
        );
        for (const s of status) assert.equal(s.cursor, head, `${s.projection} cursor at the last change`);
      } finally {
        await running.stop();
      }
      const counts = await countRows(a.targets);
      console.log(`# expected from the bundles: ${JSON.stringify(expected)}; rows: ${JSON.stringify(counts)}`);
      const badClaimItems = (
        loaded.find((r) => r.resourceType === 'Claim' && r.id === handMade.claimWithResponse) as { item: unknown[] }
      ).item.length;
      assert.equal(counts.insurance_claims, expected.claims + 1, "the bundles' claims and the corrected failing one");
      assert.equal(counts.claim_line_items, expected.claimLines + badClaimItems);
      assert.equal(counts.lab_results, expected.labObservations - 1, 'the re-categorised result left');
      assert.equal(counts.prescriptions, expected.medicationRequests);
      assert.equal(counts.devices, expected.devices);
      assert.ok(
        expected.claims > 50 &&
          expected.labObservations > 20 &&
          expected.medicationRequests > 5 &&
          expected.devices > 0,
        'the selection exercises every projection',
      );
      // Each laboratory result without an order got its implicit order; the catalog has one row per test code.
      assert.equal(counts.lab_orders, expected.labObservations);
      const lab = await openSqlClient(a.targets.labMysqlUrl, 1);
      try {
        const [row] = await lab.query<{ n: number }>('SELECT COUNT(DISTINCT component_code) AS n FROM lab_results');
        assert.equal(counts.lab_tests_catalog, Number(row?.n), 'one projected catalog row per code');
      } finally {
        await lab.close();
      }
    });

    it('row by row against the FHIR resources: claims (EOB status and payment, total, lines, procedure systems, ICD-10 where mapped), lab results, prescriptions', async () => {
      const [billing, lab, medication] = await Promise.all([
        openSqlClient(a.targets.billingMysqlUrl, 1),
        openSqlClient(a.targets.labMysqlUrl, 1),
        openSqlClient(a.targets.medicationMysqlUrl, 1),
      ]);
      try {
        assert.deepEqual(await checkClaims(billing, loaded), []);
        const stillLab = loaded.filter((r) => r.id !== handMade.recategorised);
        assert.deepEqual(await checkLabResults(lab, stillLab), []);
        assert.deepEqual(await lab.query('SELECT 1 FROM lab_results WHERE fhir_id = ?', [handMade.recategorised]), []);
        assert.deepEqual(await checkPrescriptions(medication, loaded), []);
        const statuses = await billing.query<{ status: string; n: number }>(
          "SELECT status, COUNT(*) AS n FROM insurance_claims WHERE source = 'fhir' GROUP BY status ORDER BY status",
        );
        const codes = await billing.query<{ n: number }>(
          "SELECT COUNT(*) AS n FROM claim_line_items WHERE diagnosis_codes LIKE '%\"I10\"%' OR diagnosis_codes LIKE '%J0%'",
        );
        const flagged = await billing.query<{ n: number }>('SELECT COUNT(*) AS n FROM v_claims_needing_action');
        console.log(
          `# claims by status: ${statuses.map((r) => `${r.status} ${r.n}`).join(', ')}; lines with a mapped ICD-10 code: ${codes[0]!.n}; claims needing action: ${flagged[0]!.n}`,
        );
        const noEob = loaded.filter(
          (r) =>
            r.resourceType === 'Claim' &&
            !loaded.some(
              (e) =>
                e.resourceType === 'ExplanationOfBenefit' &&
                (e as { claim?: { reference?: string } }).claim?.reference === `Claim/${r.id}`,
            ),
        ).length;
        assert.equal(
          Number(flagged[0]!.n),
          noEob + 1,
          "only claims without an adjudication need action (the bundles' and the hand-made one)",
        );
        assert.ok(Number(codes[0]!.n) > 0, 'the ConceptMap mapped some diagnoses to ICD-10');
        // The hand-made cases on top of the load.
        const invoice = (
          await billing.query<Record<string, any>>(
            'SELECT status, paid_amount, balance_due FROM invoices WHERE fhir_id = ?',
            [handMade.invoiceId],
          )
        )[0]!;
        assert.deepEqual(
          [invoice.status, invoice.paid_amount, invoice.balance_due],
          ['partially_paid', '5000.00', '7000.00'],
        );
        const adjudicated = await billing.query<{ fhir_id: string; status: string }>(
          'SELECT fhir_id, status FROM claim_adjudications WHERE claim_fhir_id = ? ORDER BY fhir_id',
          [handMade.claimWithResponse],
        );
        assert.deepEqual(adjudicated.map((r) => r.status).sort(), ['denied', 'paid'], 'an older denial and the EOB');
        const fixed = (
          await billing.query<Record<string, any>>('SELECT fhir_version FROM insurance_claims WHERE fhir_id = ?', [
            handMade.failedThenFixed,
          ])
        )[0];
        assert.equal(fixed?.fhir_version, 2, 'the corrected version of the failing claim');
        const [lost] = await billing.query<{ n: number }>(
          'SELECT COUNT(*) AS n FROM insurance_claims WHERE patient_id = ?',
          [handMade.merged.from],
        );
        assert.equal(Number(lost!.n), 0, 'the merged patient has no claims left');
      } finally {
        await Promise.all([billing.close(), lab.close(), medication.close()]);
      }
    });

    it('a dispatcher killed (SIGKILL) in the middle of the load and a new one started end with exactly the rows of the uninterrupted run', async () => {
      // The dispatcher itself is the child (node --import tsx), so SIGKILL reaches it; the tsx CLI would have
      // left it running as an orphan, still projecting and holding this process's pipes open.
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, storeUrl, JSON.stringify(b.targets)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => resolve(signal)),
      );
      const billing = await openSqlClient(b.targets.billingMysqlUrl, 1);
      // eslint-disable-next-line no-useless-assignment -- kept as written (lint pass)
      let cursorAtKill = 0;
      try {
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline) {
          const rows = await billing
            .query<{ cursor_seq: string }>('SELECT cursor_seq FROM projection_state WHERE projection = ?', ['billing'])
            .catch(() => []);
          cursorAtKill = Number(rows[0]?.cursor_seq ?? 0);
          if (cursorAtKill >= head / 3) break; // a third of the changes delivered, most of the load still ahead
          if (child.exitCode !== null) assert.fail(`the child dispatcher exited: ${output}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        child.kill('SIGKILL');
        assert.equal(await exited, 'SIGKILL');
        const [state] = await billing.query<{ cursor_seq: string }>(
          'SELECT cursor_seq FROM projection_state WHERE projection = ?',
          ['billing'],
        );
        const cursor_seq = state?.cursor_seq;
        assert.ok(
          Number(cursor_seq) > 0 && Number(cursor_seq) < head,
          `killed mid-load (billing cursor ${cursor_seq} of ${head})`,
        );
        console.log(`# killed the child dispatcher at billing change ${cursor_seq} of ${head}`);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await billing.close();
      }
      const serviceBefore = await snapshotRows(b.targets, 'service');
      const restarted = await startProjections({ store, targets: b.targets, pollIntervalMs: 20 });
      try {
        await restarted.caughtUp(240_000);
      } finally {
        await restarted.stop();
      }
      assert.deepEqual(await snapshotRows(b.targets), await snapshotRows(a.targets));
      assert.deepEqual(await snapshotRows(b.targets, 'service'), serviceBefore, 'service-owned rows untouched');
    });

    it('a rebuild gives the same rows and leaves the service-owned rows untouched', async () => {
      const before = await snapshotRows(a.targets);
      const service = await snapshotRows(a.targets, 'service');
      const running = await startProjections({ store, targets: a.targets, pollIntervalMs: 60_000 });
      try {
        let progressCalls = 0;
        for (const d of running.dispatchers) await d.rebuild(() => progressCalls++);
        assert.ok(progressCalls >= running.dispatchers.length);
      } finally {
        await running.stop();
      }
      assert.deepEqual(await snapshotRows(a.targets), before);
      assert.deepEqual(await snapshotRows(a.targets, 'service'), service);
    });
  },
);
