/**
 * The bench's CPU meter counts the PostgreSQL backends of the benchmark database that end during a phase (a pool
 * closing a connection), up to their last ticks seen — not only the ones still alive at the phase's end.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { CpuMeter } from './cpu-meter.js';
import { createTestDatabase, POSTGRES_ADMIN_URL } from '../server/store/postgres/testing/test-stores.js';

describe('bench CpuMeter: PostgreSQL backends that end during a phase', () => {
  let database: { url: string; drop: () => Promise<void> };
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => database?.drop());

  it('counts the CPU of a backend that did its work and closed before the phase ended', async () => {
    const meter = await CpuMeter.open(process.pid, {
      adminUrl: POSTGRES_ADMIN_URL,
      dbName: new URL(database.url).pathname.slice(1),
    });
    try {
      const start = await meter.snapshot();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      // about a second of backend CPU, spread over several statements so that the meter's polls see it working
      for (let i = 0; i < 8; i++) await client.query('SELECT count(*) FROM generate_series(1, 1500000)');
      await new Promise((resolve) => setTimeout(resolve, 600)); // at least two polls after the last statement
      await client.end();
      await new Promise((resolve) => setTimeout(resolve, 300)); // the backend has exited
      const usage = await meter.since(start);
      assert.ok(usage.postgresCpuSeconds >= 0.1, `the closed backend's CPU counted: ${JSON.stringify(usage)}`);
    } finally {
      await meter.close();
    }
  });
});
