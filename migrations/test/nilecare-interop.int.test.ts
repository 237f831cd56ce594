import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from 'mysql2/promise';
import type { TestDatabase } from '../../server/migrate/testing/test-databases.js';
import {
  assertMatchesReference,
  assertUndoAndRedo,
  migratedDatabase,
  mysqlConnection,
  serverMissing,
} from './harness.js';
import { nilecareInterop } from './reference-interop.js';

const RAW =
  'MSH|^~\\&|LAB|KHARTOUM|NILECARE|NC|20260101120000||ADT^A01^ADT_A01|MSG0001|P|2.5.1\rPID|1||P123^^^NC^MR||Ahmed^Musa';

describe('migrations/mysql/nilecare_interop', { skip: await serverMissing('mysql') }, () => {
  let db: TestDatabase;
  let c: Connection;
  before(async () => {
    db = await migratedDatabase('mysql', 'nilecare_interop');
    c = await mysqlConnection(db.url);
  });
  after(async () => {
    await c?.end();
    await db?.drop();
  });

  const insertMessage = (controlId: string | null, app = 'LAB') =>
    c.query(
      `INSERT INTO hl7_messages (direction, message_type, trigger_event, control_id, sending_application, sending_facility, raw_message, message_hash)
       VALUES ('inbound', 'ADT', 'A01', ?, ?, 'KHARTOUM', ?, SHA2(?, 256))`,
      [controlId, app, RAW, RAW],
    );

  it('matches the documented tables and the recorded column choices', async () => {
    await assertMatchesReference('mysql', db.url, nilecareInterop);
  });

  it('recognises a duplicate MSH-10 from the same sender, not from another sender', async () => {
    await insertMessage('MSG0001');
    await assert.rejects(insertMessage('MSG0001'), /Duplicate entry/);
    await insertMessage('MSG0001', 'RADIOLOGY');
    await insertMessage(null);
    await insertMessage(null);
    const [rows] = await c.query(
      "SELECT status, received_at FROM hl7_messages WHERE control_id = 'MSG0001' AND sending_application = 'LAB'",
    );
    const row = (rows as { status: string; received_at: string }[])[0]!;
    assert.equal(row.status, 'received');
    assert.match(row.received_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
  });

  it('keeps logs and queue entries with their message, rejects bad ack codes and priorities', async () => {
    const [[m]] = (await c.query(
      "SELECT id FROM hl7_messages WHERE control_id = 'MSG0001' AND sending_application = 'LAB'",
    )) as unknown as [{ id: string }[]];
    await c.query(
      "INSERT INTO hl7_message_logs (message_id, level, stage, message) VALUES (?, 'error', 'map', 'PID-3 missing')",
      [m!.id],
    );
    await c.query("INSERT INTO message_queue (message_id, direction) VALUES (?, 'inbound')", [m!.id]);
    await assert.rejects(
      c.query(
        "INSERT INTO message_queue (message_id, direction) VALUES ('00000000-0000-0000-0000-000000000000', 'inbound')",
      ),
      /foreign key/,
    );
    await assert.rejects(
      c.query("INSERT INTO message_queue (direction, priority) VALUES ('outbound', 0)"),
      /CONSTRAINT|check/i,
    );
    await assert.rejects(c.query("UPDATE hl7_messages SET ack_code = 'XX' WHERE id = ?", [m!.id]), /CONSTRAINT|check/i);
    await c.query('DELETE FROM hl7_messages WHERE id = ?', [m!.id]);
    const [logs] = await c.query('SELECT id FROM hl7_message_logs WHERE message_id = ?', [m!.id]);
    const [queue] = await c.query('SELECT id FROM message_queue WHERE message_id = ?', [m!.id]);
    assert.deepEqual([(logs as unknown[]).length, (queue as unknown[]).length], [0, 0]);
  });

  it('undoes to zero and migrates again', async () => {
    await assertUndoAndRedo('mysql', 'nilecare_interop', db.url, nilecareInterop);
  });
});
