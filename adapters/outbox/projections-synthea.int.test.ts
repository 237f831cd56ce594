/**
 * The Synthea load projected (issue #6 "done when"): a handful of bundles (projection-bundles: the fhir-data-pipes
 * hospital/practitioner bundles, Elisa944 and Joni720, the three smallest smart-r4-2019 patients) written into a
 * PostgreSQL FHIR store; the projected rows are counted against the bundles (Claims and their items,
 * laboratory Observations, MedicationRequests, Devices). A dispatcher in a child process is SIGKILLed in the
 * middle of the load, a new one finishes it, and the rows equal an uninterrupted run's; a rebuild from scratch
 * gives the same rows again.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadSynthea } from '../../server/fhir/search/testing/synthea-loader.js';
import { openPostgresStore } from '../../server/store/postgres/open-postgres-store.js';
import { createTestDatabase } from '../../server/store/postgres/test-stores.js';
import type { ResourceStore } from '../../server/store/resource-store.js';
import { startProjections } from './start-projections.js';
import { openSqlClient } from './sql-client.js';
import { createTestTargets, countRows, snapshotRows, type TestTargets } from './testing/target-databases.js';
import { expectedFromBundles, projectionBundles, syntheaPresent, type Expected } from './testing/synthea-selection.js';

const present = syntheaPresent();
const CHILD = fileURLToPath(new URL('./testing/dispatcher-child.ts', import.meta.url));

describe(
  'projections of a Synthea load (PostgreSQL FHIR store → MariaDB + PostgreSQL targets)',
  { skip: present ? false : 'Synthea corpus not found under /work/shared/corpus/synthea' },
  () => {
    let store: ResourceStore;
    let dropStore: () => Promise<void>;
    let storeUrl: string;
    let a: TestTargets;
    let b: TestTargets;
    let expected: Expected;
    let head = 0;

    before(async () => {
      const database = await createTestDatabase();
      storeUrl = database.url;
      dropStore = database.drop;
      store = await openPostgresStore({ url: storeUrl, poolSize: 8 });
      await store.init();
      const files = projectionBundles();
      expected = expectedFromBundles(files);
      await loadSynthea(store, files);
      const all = await store.changesAfter(0, 100_000);
      head = all[all.length - 1]!.seq;
      [a, b] = await Promise.all([createTestTargets(), createTestTargets()]);
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
        for (const s of status) assert.equal(s.cursor, head, `${s.projection} cursor at the last change`);
      } finally {
        await running.stop();
      }
      const counts = await countRows(a.targets);
      console.log(`# expected from the bundles: ${JSON.stringify(expected)}; rows: ${JSON.stringify(counts)}`);
      assert.equal(counts.insurance_claims, expected.claims);
      assert.equal(counts.claim_line_items, expected.claimLines);
      assert.equal(counts.lab_results, expected.labObservations);
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
        assert.equal(counts.lab_tests_catalog, Number(row?.n));
      } finally {
        await lab.close();
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
      let cursorAtKill = 0;
      try {
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline) {
          const rows = await billing
            .query<{ cursor_seq: string }>('SELECT cursor_seq FROM projection_state WHERE projection = ?', ['billing'])
            .catch(() => []);
          cursorAtKill = Number(rows[0]?.cursor_seq ?? 0);
          if (cursorAtKill >= 100) break; // some batches committed, most of the load still ahead
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
      const restarted = await startProjections({ store, targets: b.targets, pollIntervalMs: 20 });
      try {
        await restarted.caughtUp(240_000);
      } finally {
        await restarted.stop();
      }
      assert.deepEqual(await snapshotRows(b.targets), await snapshotRows(a.targets));
    });

    it('a rebuild from scratch gives the same rows', async () => {
      const before = await snapshotRows(a.targets);
      const running = await startProjections({ store, targets: a.targets, pollIntervalMs: 60_000 });
      try {
        let progressCalls = 0;
        for (const d of running.dispatchers) await d.rebuild(() => progressCalls++);
        assert.ok(progressCalls >= running.dispatchers.length);
      } finally {
        await running.stop();
      }
      assert.deepEqual(await snapshotRows(a.targets), before);
    });
  },
);
