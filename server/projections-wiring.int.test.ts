/**
 * The server with NILECARE_PROJECTIONS=on: target databases are migrated at start and a transaction's
 * claims, lab results and prescriptions appear as rows (the projections' own behaviour is tested in adapters/).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { pino } from 'pino';
import { pgliteTestStore } from './store/postgres/testing/test-stores.js';
import { startTestServer } from './testing/test-server.js';
import { createTestDatabase, type TestDatabase } from './migrate/testing/test-databases.js';
import { startConfiguredProjections } from './projections-wiring.js';
import { corpusMissing, corpusPath } from './testing/corpus.js';

const SMART = corpusPath('synthea', 'smart-r4-2019');

describe('projections started with the server', () => {
  const cleanup: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('migrates the target databases and projects a committed transaction', async (t) => {
    const missing = corpusMissing(SMART);
    if (missing) {
      t.skip(missing);
      return;
    }
    // Fresh, empty target databases (dropped afterwards); the wiring itself migrates them.
    const dbs: TestDatabase[] = [];
    for (const [engine, name] of [
      ['mysql', 'nilecare_billing'],
      ['mysql', 'nilecare_lab'],
      ['mysql', 'nilecare_medication'],
      ['postgres', 'nilecare_devices'],
    ] as const) {
      const db = await createTestDatabase(engine, name);
      dbs.push(db);
      cleanup.push(() => db.drop());
    }
    const opened = await pgliteTestStore();
    const server = await startTestServer(opened.store);
    cleanup.push(async () => {
      await server.close();
      await opened.store.close();
      await opened.dispose();
    });
    const env = {
      NILECARE_PROJECTIONS: 'on',
      PROJECTION_BILLING_URL: dbs[0]!.url,
      PROJECTION_LAB_URL: dbs[1]!.url,
      PROJECTION_MEDICATION_URL: dbs[2]!.url,
      PROJECTION_DEVICES_URL: dbs[3]!.url,
    };
    const running = await startConfiguredProjections(opened.store, pino({ level: 'silent' }), env);
    assert.ok(running, 'projections started');
    cleanup.push(() => running.stop()); // runs first (reverse order): before the target databases are dropped

    const smallest = readdirSync(SMART)
      .filter((f) => f.endsWith('.json') && !f.includes('Information'))
      .sort((a, b) => statSync(join(SMART, a)).size - statSync(join(SMART, b)).size)[0]!;
    const bundle = JSON.parse(readFileSync(join(SMART, smallest), 'utf8'));
    const res = await server.fhir('/', { method: 'POST', body: bundle });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    await running.caughtUp(120_000);

    const claims = bundle.entry.filter(
      (e: { resource: { resourceType: string } }) => e.resource.resourceType === 'Claim',
    ).length;
    const requests = bundle.entry.filter(
      (e: { resource: { resourceType: string } }) => e.resource.resourceType === 'MedicationRequest',
    ).length;
    const count = async (url: string, table: string) => {
      const c = await mysql.createConnection(url);
      try {
        const [rows] = await c.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${table}`);
        return Number(rows[0]!['n']);
      } finally {
        await c.end();
      }
    };
    assert.equal(await count(dbs[0]!.url, 'insurance_claims'), claims);
    assert.equal(await count(dbs[2]!.url, 'prescriptions'), requests);
    const status = await running.status();
    assert.ok(
      status.every((s) => s.deadLetters.length === 0),
      JSON.stringify(status),
    );

    // Prometheus: outbox lag and dead letters per projection once the projections are attached to the app.
    const before = await (await fetch(server.baseUrl.replace(/\/fhir$/, '/metrics'))).text();
    assert.doesNotMatch(
      before,
      /^nilecare_outbox_lag_changes\{/m,
      'nothing reported before the projections are attached',
    );
    server.app.attachRuntime({ projections: running });
    const metrics = await (await fetch(server.baseUrl.replace(/\/fhir$/, '/metrics'))).text();
    for (const projection of ['billing', 'lab', 'medication', 'device']) {
      assert.match(metrics, new RegExp(`^nilecare_outbox_lag_changes\\{projection="${projection}"\\} 0$`, 'm'));
      assert.match(metrics, new RegExp(`^nilecare_outbox_lag_seconds\\{projection="${projection}"\\} 0$`, 'm'));
      assert.match(metrics, new RegExp(`^nilecare_outbox_dead_letters\\{projection="${projection}"\\} 0$`, 'm'));
    }
  });

  it('stays off unless NILECARE_PROJECTIONS=on', async () => {
    assert.equal(await startConfiguredProjections({} as never, pino({ level: 'silent' }), {}), undefined);
  });
});
