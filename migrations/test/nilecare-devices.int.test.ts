import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { maintainDatabase } from '../../server/migrate/migrate.js';
import type { TestDatabase } from '../../server/migrate/testing/test-databases.js';
import { assertMatchesReference, assertUndoAndRedo, migratedDatabase, pgClient, serverMissing } from './harness.js';
import { nilecareDevices } from './reference-devices.js';

const DEVICE = '00000000-0000-4000-8000-000000000001';

describe('migrations/postgres/nilecare_devices', { skip: await serverMissing('postgres') }, () => {
  let db: TestDatabase;
  let c: pg.Client;
  let timescale = false;
  const partitions = async () =>
    (
      await c.query(
        `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'device_readings'::regclass ORDER BY 1`,
      )
    ).rows.map((r) => r.relname as string);
  const where = async (ts: string) =>
    (await c.query(`SELECT tableoid::regclass::text AS t FROM device_readings WHERE "timestamp" = $1`, [ts])).rows.map(
      (r) => r.t as string,
    );
  const read = (ts: string, type = 'HR') =>
    c.query(
      `INSERT INTO device_readings (device_id, reading_type, reading_value, reading_unit, "timestamp") VALUES ($1, $2, 72.5, 'bpm', $3)`,
      [DEVICE, type, ts],
    );

  before(async () => {
    db = await migratedDatabase('postgres', 'nilecare_devices');
    c = await pgClient(db.url);
    timescale = (await c.query(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`)).rowCount === 1;
    await c.query(`INSERT INTO devices (id, device_type, serial_number, status) VALUES ($1, 'ECG', 'SN-1', 'online')`, [
      DEVICE,
    ]);
  });
  after(async () => {
    await c?.end();
    await db?.drop();
  });

  it('matches the schema reference (columns, types, keys, indexes, updated_at trigger)', async () => {
    await assertMatchesReference('postgres', db.url, nilecareDevices);
  });

  it('without TimescaleDB, readings are partitioned by month around now, with a default partition', async (t) => {
    if (timescale) {
      t.skip('TimescaleDB hypertable');
      return;
    }
    const month = (d: Date) => `device_readings_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    const now = new Date();
    const parts = await partitions();
    assert.ok(parts.includes('device_readings_default'));
    assert.ok(parts.includes(month(now)), `${month(now)} in ${parts}`);
    assert.ok(parts.includes(month(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 3, 1)))));
    await read(now.toISOString());
    assert.deepEqual(await where(now.toISOString()), [month(now)]);
    await assert.rejects(read(now.toISOString()), /duplicate key/, 'one value per device, type and instant');
    await assert.rejects(
      c.query(
        `INSERT INTO device_readings (device_id, reading_type, reading_value, "timestamp", quality) VALUES ($1, 'SpO2', 97, now(), 'excellent')`,
        [DEVICE],
      ),
      /quality_check/,
    );
    await assert.rejects(
      c.query(
        `INSERT INTO device_readings (device_id, reading_type, reading_value, "timestamp") VALUES (gen_random_uuid(), 'HR', 60, now())`,
      ),
      /foreign key/,
    );
  });

  it('maintenance moves default-partition rows into new months and drops readings older than one year', async (t) => {
    if (timescale) {
      t.skip('TimescaleDB policies do this');
      return;
    }
    const y = new Date().getUTCFullYear() + 5; // years ahead of whatever the migration created
    await read(`${y}-03-10T10:00:00Z`); // far future: default partition
    await read(`${y - 1}-01-05T10:00:00Z`); // older than a year on ${y}-03-15
    assert.deepEqual(await where(`${y}-03-10T10:00:00.000Z`), ['device_readings_default']);
    const lines: string[] = [];
    const now = new Date(`${y}-03-15T00:00:00Z`);
    const actions = await maintainDatabase({
      engine: 'postgres',
      database: 'nilecare_devices',
      connection: { url: db.url },
      now,
      log: (l) => lines.push(l),
    });
    assert.ok(
      actions.includes(`created partition device_readings_y${y}m03 (moved 1 rows from the default partition)`),
      actions.join('\n'),
    );
    assert.deepEqual(await where(`${y}-03-10T10:00:00.000Z`), [`device_readings_y${y}m03`]);
    assert.deepEqual(
      await where(`${y - 1}-01-05T10:00:00.000Z`),
      [],
      'retention deleted the reading older than a year',
    );
    assert.ok(
      actions.some((a) => /^dropped partition device_readings_y\d{4}m\d\d/.test(a)),
      'the months created at migration time are older than a year by then',
    );
    assert.ok(lines.every((l) => l.startsWith('Maintenance: ')));
    const again = await maintainDatabase({
      engine: 'postgres',
      database: 'nilecare_devices',
      connection: { url: db.url },
      now,
    });
    assert.deepEqual(again, [], 'idempotent');
  });

  it('alerts need a known device and an acknowledger; updated_at moves on update', async () => {
    await assert.rejects(
      c.query(
        `INSERT INTO device_alerts (device_id, alert_type, severity, alert_message) VALUES ($1, 'HR', 'catastrophic', 'x')`,
        [DEVICE],
      ),
      /severity_check/,
    );
    await assert.rejects(
      c.query(
        `INSERT INTO device_alerts (device_id, alert_type, severity, alert_message, acknowledged) VALUES ($1, 'HR', 'high', 'x', true)`,
        [DEVICE],
      ),
      /ack_check/,
    );
    await c.query(
      `INSERT INTO device_alerts (device_id, alert_type, severity, alert_message) VALUES ($1, 'Critical HR', 'critical', 'HR 180')`,
      [DEVICE],
    );
    await c.query(`UPDATE devices SET updated_at = '2020-01-01' WHERE id = $1`, [DEVICE]);
    const { rows } = await c.query(
      `SELECT updated_at > now() - interval '1 minute' AS fresh FROM devices WHERE id = $1`,
      [DEVICE],
    );
    assert.equal(rows[0].fresh, true);
  });

  it('undoes to zero and migrates again', async () => {
    await c.query('DELETE FROM device_alerts; DELETE FROM device_readings; DELETE FROM devices');
    await assertUndoAndRedo('postgres', 'nilecare_devices', db.url, nilecareDevices);
  });
});
