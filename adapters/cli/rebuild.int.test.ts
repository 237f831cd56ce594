/**
 * `npm run projections:rebuild` (issue #17 item 5): the target databases are migrated first — here a billing
 * database that exists but was never migrated — then rebuilt from the configured FHIR store (PostgreSQL server);
 * mistakes and an unreachable target answer as every command does (server/cli/cli-kit.ts, issue 26 item 5).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createTestDatabase as createTargetDatabase,
  type TestDatabase,
} from '../../server/migrate/testing/test-databases.js';
import { openPostgresStore } from '../../server/store/postgres/open-postgres-store.js';
import { createTestDatabase } from '../../server/store/postgres/testing/test-stores.js';
import { openSqlClient } from '../outbox/sql-client.js';
import { fhirWriter } from '../outbox/testing/fhir-writer.js';
import { main } from './rebuild.js';

describe('projections:rebuild', () => {
  let store: { url: string; drop: () => Promise<void> };
  let billing: TestDatabase;

  before(async () => {
    store = await createTestDatabase();
    billing = await createTargetDatabase('mysql', 'nilecare_billing');
    const s = await openPostgresStore({ url: store.url, poolSize: 2 });
    await s.init();
    await fhirWriter(s).put({
      resourceType: 'Claim',
      id: 'cli-claim',
      status: 'active',
      use: 'claim',
      type: { coding: [{ code: 'institutional' }] },
      patient: { reference: 'Patient/cli-patient' },
      created: '2025-02-01T10:00:00Z',
      provider: { reference: 'Organization/o' },
      priority: { coding: [{ code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true, coverage: { display: 'NHIF' } }],
      item: [{ sequence: 1, productOrService: { text: 'bed day' }, net: { value: 2500 } }],
    });
    await s.close();
  });
  after(async () => {
    await billing?.drop();
    await store?.drop();
  });

  it('migrates an unmigrated target, then rebuilds it (exit 0)', async () => {
    const log = console.log;
    const lines: string[] = [];
    console.log = (...args: unknown[]) => void lines.push(args.join(' '));
    let code: number;
    try {
      code = await main(['billing', '--no-progress'], {
        NILECARE_STORE: 'postgres',
        DATABASE_URL: store.url,
        PROJECTION_BILLING_URL: billing.url,
      });
    } finally {
      console.log = log;
    }
    assert.equal(code, 0, lines.join('\n'));
    assert.match(lines.join('\n'), /nilecare_billing: \d+ migrations applied/);
    assert.match(lines.join('\n'), /billing: 1 resources projected/);
    const db = await openSqlClient(billing.url, 1);
    try {
      const claim = (
        await db.query<Record<string, any>>(
          'SELECT patient_id, source, total_charges FROM insurance_claims WHERE fhir_id = ?',
          ['cli-claim'],
        )
      )[0];
      assert.deepEqual([claim?.source, Number(claim?.total_charges)], ['fhir', 2500]);
      const id = (
        await db.query<Record<string, any>>('SELECT resource_type, fhir_id FROM fhir_reference_ids WHERE id = ?', [
          claim?.patient_id,
        ])
      )[0];
      assert.deepEqual(
        [id?.resource_type, id?.fhir_id],
        ['Patient', 'cli-patient'],
        'the non-UUID patient id is readable',
      );
    } finally {
      await db.close();
    }
  });

  it('mistakes and a database that does not answer: one line each, the exit codes of every command (2, 3)', async () => {
    const run = async (argv: string[], env: NodeJS.ProcessEnv) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(argv, env, { out: (l) => void out.push(l), err: (l) => void err.push(l) });
      return { code, out, err };
    };
    const env = { NILECARE_STORE: 'postgres', DATABASE_URL: store.url };
    let r = await run(['bill'], env);
    assert.equal(r.code, 2);
    assert.match(
      r.err[0]!,
      /^projections:rebuild: unknown projection: bill \(one of billing, lab, medication, device\)$/,
    );
    r = await run(['billing', '--colour'], env);
    assert.equal(r.code, 2);
    assert.match(r.err[0]!, /Unknown option '--colour'/);
    r = await run(['lab', '--no-progress'], { ...env, MYSQL_URL: 'mysql://root@127.0.0.1:9' });
    assert.equal(r.code, 3);
    assert.deepEqual(r.err, [
      "projections:rebuild: cannot reach the lab projection's database at mysql://root@127.0.0.1:9/nilecare_lab (ECONNREFUSED): is it running? (address from PROJECTION_LAB_URL or MYSQL_URL)",
    ]);
    r = await run(['--help'], env);
    assert.equal(r.code, 0);
    assert.match(r.out[0]!, /^Usage: npm run projections:rebuild/);
  });
});
