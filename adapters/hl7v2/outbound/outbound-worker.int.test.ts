/**
 * HL7 v2 outbound through the outbox, end to end on real parts: a PGlite FHIR store, nilecare_interop on the
 * local MariaDB (own test database), the OutboundWorker, and fake receiving systems on real MLLP sockets.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import type { Resource } from '@medplum/fhirtypes';
import { createTestDatabase, type TestDatabase } from '../../../server/migrate/testing/test-databases.js';
import { migrateDatabase } from '../../../server/migrate/migrate.js';
import { openPgliteTestStore } from '../../../server/store/postgres/testing/pglite-template.js';
import type { ResourceStore } from '../../../server/store/resource-store.js';
import { fhirWriter } from '../../outbox/testing/fhir-writer.js';
import { OutboundWorker } from './outbound-worker.js';
import { FakePeer } from './testing/fake-peer.js';
import { mysqlMissing } from '../../../server/testing/mysql-missing.js';

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const patient = (id: string, mrn: string, family: string): Resource => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'urn:oid:1.2.3', value: mrn }],
  name: [{ family }],
});
const encounter = (id: string, pid: string, status: 'in-progress' | 'finished'): Resource => ({
  resourceType: 'Encounter',
  id,
  status,
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
  subject: { reference: `Patient/${pid}` },
});
const observation = (id: string, value: number): Resource => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin' }] },
  valueQuantity: { value, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
});
const report = (id: string, pid: string, results: string[]): Resource => ({
  resourceType: 'DiagnosticReport',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '58410-2' }] },
  subject: { reference: `Patient/${pid}` },
  result: results.map((r) => ({ reference: `Observation/${r}` })),
});

describe('HL7 v2 outbound worker (outbox → MLLP, nilecare_interop on MariaDB)', { skip: await mysqlMissing() }, () => {
  let db: TestDatabase;
  let sql: mysql.Connection;
  let store: ResourceStore;
  let fhir: ReturnType<typeof fhirWriter>;
  let worker: OutboundWorker;
  const peer = new FakePeer();
  const start = () =>
    new OutboundWorker({
      store,
      mysqlUrl: db.url,
      startAt: 'start',
      pollIntervalMs: 20,
      reloadEndpointsMs: 100,
    }).start();
  const rows = async (q: string, p: unknown[] = []) => (await sql.query<mysql.RowDataPacket[]>(q, p))[0];

  before(async () => {
    db = await createTestDatabase('mysql', 'nilecare_interop');
    await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: db.url } });
    sql = await mysql.createConnection({ uri: db.url, dateStrings: true });
    store = await openPgliteTestStore();
    fhir = fhirWriter(store);
    await peer.start(0);
    await sql.query(
      `INSERT INTO interface_configs (id, name, direction, protocol, host, port, sending_application, sending_facility, receiving_application, receiving_facility, timeout_ms, max_retries, retry_backoff_ms)
       VALUES ('ep-emr', 'emr', 'outbound', 'mllp', '127.0.0.1', ?, 'NILECARE-FHIR', 'KTH-MAIN', 'EMR', 'KTH', 2000, 30, 40)`,
      [peer.listeningPort],
    );
    worker = start();
  });
  after(async () => {
    await worker?.stop();
    await peer.stop();
    await sql?.end();
    await store?.close();
    await db?.drop();
  });

  it('sends A28, A01, A03 and ORU^R01 (with the OBX values) for one patient, in order, and records each ACK', async () => {
    await fhir.put(patient('p1', 'MRN-1', 'Nur'));
    await fhir.put(encounter('e1', 'p1', 'in-progress'));
    await fhir.put(encounter('e1', 'p1', 'finished'));
    await fhir.put(observation('o1', 13.2), observation('o2', 9));
    await fhir.put(report('r1', 'p1', ['o1', 'o2']));
    const got = await waitFor('four messages for MRN-1', () =>
      peer.accepted('MRN-1').length >= 4 ? peer.accepted('MRN-1') : undefined,
    );
    assert.deepEqual(
      got.map((r) => r.type),
      ['ADT^A28', 'ADT^A01', 'ADT^A03', 'ORU^R01'],
    );
    const oru = got[3]!.message;
    assert.deepEqual(
      oru.all('OBX').map((s) => oru.text(s.fields[5]?.[0])),
      ['13.2', '9'],
    );
    assert.equal(oru.get('OBX-6'), 'g/dL');
    assert.equal(oru.get('MSH-5'), 'EMR');
    assert.equal(oru.get('MSH-6'), 'KTH');
    assert.deepEqual(
      [oru.get('MSH-3'), oru.get('MSH-4')],
      ['NILECARE-FHIR', 'KTH-MAIN'],
      'sending application/facility of the endpoint',
    );
    // Only the Patient, Encounter and DiagnosticReport changes produce messages (the Observations do not).
    await waitFor(
      'all acknowledged',
      async () => (await rows("SELECT COUNT(*) n FROM hl7_messages WHERE status = 'acknowledged'"))[0]!.n >= 4,
    );
    const logged = await rows(
      "SELECT * FROM hl7_messages WHERE direction = 'outbound' AND ordering_key = 'Patient/p1' ORDER BY source_seq",
    );
    assert.deepEqual(
      logged.map((m) => [m.message_type, m.trigger_event, m.source_resource, m.source_version, m.status, m.ack_code]),
      [
        ['ADT', 'A28', 'Patient/p1', 1, 'acknowledged', 'AA'],
        ['ADT', 'A01', 'Encounter/e1', 1, 'acknowledged', 'AA'],
        ['ADT', 'A03', 'Encounter/e1', 2, 'acknowledged', 'AA'],
        ['ORU', 'R01', 'DiagnosticReport/r1', 1, 'acknowledged', 'AA'],
      ],
    );
    for (const m of logged) {
      assert.match(m.ack_message, new RegExp(`MSA\\|AA\\|${m.control_id}`));
      assert.equal(m.interface_config_id, 'ep-emr');
      assert.equal(m.patient_identifier, 'MRN-1');
      assert.ok(m.processed_at);
    }
    assert.deepEqual(
      got.map((r) => r.controlId),
      logged.map((m) => m.control_id),
    );
    const stages = await rows('SELECT stage FROM hl7_message_logs WHERE message_id = ? ORDER BY created_at', [
      logged[0]!.id,
    ]);
    assert.deepEqual(new Set(stages.map((s) => s.stage)), new Set(['map', 'send', 'ack']));
    assert.equal(
      (await rows("SELECT COUNT(*) n FROM message_queue WHERE direction = 'outbound'"))[0]!.n,
      0,
      'nothing failed, nothing queued',
    );
  });

  it('retries a message the peer answers AE twice, holds the later message of that patient, lets other patients pass', async () => {
    let aes = 0;
    // AE for MRN-3's registration at least twice, and until another patient's message has got through meanwhile.
    peer.answer = (m) =>
      m.get('PID-3') === 'MRN-3' && m.messageType.event === 'A28' && (aes < 2 || peer.accepted('MRN-4').length === 0)
        ? (aes++, 'AE')
        : 'AA';
    const from = peer.received.length;
    await fhir.put(patient('p3', 'MRN-3', 'Adam'));
    await fhir.put(patient('p3', 'MRN-3', 'Adam Musa'));
    await fhir.put(patient('p4', 'MRN-4', 'Hawa'));
    await waitFor('both p3 messages accepted', () => peer.accepted('MRN-3').length === 2);
    const seen = peer.received.slice(from);
    const p3 = seen.filter((r) => r.mrn === 'MRN-3');
    assert.deepEqual(
      p3.map((r) => `${r.type} ${r.answered}`),
      [...Array(aes).fill('ADT^A28 AE'), 'ADT^A28 AA', 'ADT^A31 AA'],
      'the update waits until the registration is acknowledged',
    );
    assert.ok(aes >= 2);
    assert.equal(new Set(p3.slice(0, aes + 1).map((r) => r.controlId)).size, 1, 'the same message is sent again');
    assert.ok(
      seen.indexOf(peer.accepted('MRN-4')[0]!) < seen.indexOf(p3[aes]!),
      'MRN-4 went through while MRN-3 was held',
    );
    const [a04] = await rows(
      "SELECT id, status, ack_code, ack_message FROM hl7_messages WHERE ordering_key = 'Patient/p3' AND trigger_event = 'A28'",
    );
    assert.deepEqual([a04!.status, a04!.ack_code], ['acknowledged', 'AA']);
    const [q] = await rows('SELECT status, attempts, last_error FROM message_queue WHERE message_id = ?', [a04!.id]);
    assert.deepEqual([q!.status, q!.attempts], ['completed', aes + 1]);
    const retries = await rows("SELECT level, message FROM hl7_message_logs WHERE message_id = ? AND stage = 'retry'", [
      a04!.id,
    ]);
    assert.equal(retries.length, aes);
    assert.match(retries[0]!.message, /AE: scripted AE/);
    peer.answer = () => 'AA';
  });

  it('keeps a message pending in message_queue while the peer is down, and delivers it when the peer is back', async () => {
    await peer.stop();
    await fhir.put(patient('p5', 'MRN-5', 'Omer'));
    const [q] = await waitFor('a pending queue row with attempts', async () => {
      const r = await rows(
        "SELECT q.status, q.attempts, q.last_error, m.status AS message_status FROM message_queue q JOIN hl7_messages m ON m.id = q.message_id WHERE m.ordering_key = 'Patient/p5'",
      );
      return r[0] && r[0].attempts >= 2 ? r : undefined;
    });
    assert.equal(q!.status, 'pending');
    assert.equal(q!.message_status, 'queued');
    assert.match(q!.last_error, /ECONNREFUSED|connect/);
    const status = await worker.status();
    assert.ok(status.pending >= 1 && status.retrying >= 1, JSON.stringify(status));
    await peer.start();
    await waitFor('MRN-5 delivered', () => peer.accepted('MRN-5').length === 1);
    await waitFor(
      'queue row completed',
      async () =>
        (
          await rows(
            "SELECT q.status FROM message_queue q JOIN hl7_messages m ON m.id = q.message_id WHERE m.ordering_key = 'Patient/p5'",
          )
        )[0]!.status === 'completed',
    );
  });

  it('dead-letters after max_retries, holds that patient for that endpoint only, delivers it when retried, or lets go when discarded', async () => {
    const strict = await new FakePeer().start(0);
    strict.answer = () => 'AR';
    await sql.query(
      `INSERT INTO interface_configs (id, name, direction, protocol, host, port, message_types, max_retries, retry_backoff_ms, timeout_ms)
       VALUES ('ep-lis', 'lis', 'outbound', 'mllp', '127.0.0.1', ?, '["ORU^R01"]', 1, 20, 2000)`,
      [strict.listeningPort],
    );
    await waitFor('worker sees the new endpoint', async () =>
      (await worker.status()).endpoints.some((e) => e.name === 'lis'),
    );
    await fhir.put(observation('o6', 4.4));
    await fhir.put(report('r6', 'p1', ['o6']));
    await fhir.put(report('r7', 'p1', ['o6']));
    const dead = await waitFor(
      'a dead letter',
      async () => (await rows("SELECT message_id, attempts FROM message_queue WHERE status = 'dead_letter'"))[0],
    );
    assert.equal(dead.attempts, 2, 'max_retries 1 = two attempts');
    await waitFor('emr got both reports', () => peer.accepted('MRN-1').filter((r) => r.type === 'ORU^R01').length >= 3);
    const [m] = await rows('SELECT status, ack_code, source_resource FROM hl7_messages WHERE id = ?', [
      dead.message_id,
    ]);
    assert.deepEqual([m!.status, m!.ack_code, m!.source_resource], ['error', 'AR', 'DiagnosticReport/r6']);
    assert.equal(
      strict.received.filter((r) => r.message.get('OBR-3') === 'r7').length,
      0,
      'r7 waits behind the dead r6',
    );
    const s = await worker.status();
    assert.deepEqual([s.dead, s.endpoints.find((e) => e.name === 'lis')?.dead], [1, 1]);
    strict.answer = () => 'AA';
    assert.equal(await worker.retryDeadLetter(dead.message_id), true);
    await waitFor('lis accepted r6 then r7', () => strict.accepted().length === 2);
    assert.deepEqual(
      strict.accepted().map((r) => r.message.get('OBR-3')),
      ['r6', 'r7'],
    );
    assert.equal((await worker.status()).dead, 0);
    // Given up instead: the dead letter stays in error and the patient's next report goes on.
    strict.answer = (m) => (m.get('OBR-3') === 'r8' ? 'AR' : 'AA');
    await fhir.put(report('r8', 'p1', ['o6']));
    await fhir.put(report('r9', 'p1', ['o6']));
    const dead8 = await waitFor(
      'r8 dead',
      async () => (await rows("SELECT message_id FROM message_queue WHERE status = 'dead_letter'"))[0],
    );
    assert.equal(await worker.discardDeadLetter(dead8.message_id), true);
    await waitFor('lis accepted r9', () => strict.accepted().some((r) => r.message.get('OBR-3') === 'r9'));
    assert.equal((await rows('SELECT status FROM hl7_messages WHERE id = ?', [dead8.message_id]))[0]!.status, 'error');
    assert.equal(await worker.retryDeadLetter(dead8.message_id), false, 'no longer a dead letter');
    await sql.query("UPDATE interface_configs SET is_active = FALSE WHERE id = 'ep-lis'");
    await strict.stop();
  });

  it('after a restart (and even a cursor rewound to 0) sends nothing twice, and goes on with new changes', async () => {
    await waitFor('nothing pending', async () => (await worker.status()).pending === 0);
    await worker.stop();
    const before = peer.received.length;
    const [{ n: recorded }] = (await rows("SELECT COUNT(*) n FROM hl7_messages WHERE direction = 'outbound'")) as [
      { n: number },
    ];
    await sql.query("UPDATE hl7_outbound_state SET cursor_seq = 0 WHERE name = 'hl7-outbound'");
    worker = start();
    await fhir.put(patient('p8', 'MRN-8', 'Sara'));
    await waitFor('MRN-8 delivered by the new worker', () => peer.accepted('MRN-8').length === 1);
    assert.deepEqual(
      peer.received.slice(before).map((r) => r.mrn),
      ['MRN-8'],
      'only the new change was sent',
    );
    const [{ n: after }] = (await rows("SELECT COUNT(*) n FROM hl7_messages WHERE direction = 'outbound'")) as [
      { n: number },
    ];
    assert.equal(
      after,
      recorded + 1,
      'the replayed changes were already recorded (unique per endpoint, resource, version)',
    );
  });

  it('sends again, with the same control id, a message whose ACK was not recorded before a crash', async () => {
    await worker.stop();
    const [m] = await rows("SELECT id, control_id FROM hl7_messages WHERE ordering_key = 'Patient/p8'");
    // As left by a process that died after writing the frame and before recording the peer's answer.
    await sql.query(
      "UPDATE hl7_messages SET status = 'sent', ack_code = NULL, ack_message = NULL, processed_at = NULL WHERE id = ?",
      [m!.id],
    );
    worker = start();
    await waitFor('MRN-8 sent again', () => peer.accepted('MRN-8').length === 2);
    assert.equal(peer.accepted('MRN-8')[1]!.controlId, m!.control_id, 'the peer can recognise the duplicate');
    await waitFor(
      'acknowledged again',
      async () => (await rows('SELECT status FROM hl7_messages WHERE id = ?', [m!.id]))[0]!.status === 'acknowledged',
    );
  });

  it('runs on one node at a time: a second worker waits, and takes over when the first stops', async () => {
    const second = start();
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual([(await worker.status()).active, (await second.status()).active], [true, false]);
    await worker.stop();
    worker = second;
    await waitFor('second worker active', async () => (await second.status()).active);
    await fhir.put(patient('p10', 'MRN-10', 'Taha'));
    await waitFor('MRN-10 delivered by the second worker', () => peer.accepted('MRN-10').length === 1);
  });

  it('a worker made ready before its first run begins at the end of the log: a change written next is planned', async () => {
    const early = new OutboundWorker({ store, mysqlUrl: db.url, name: 'early', pollIntervalMs: 20 });
    try {
      await early.ready(); // what the server awaits before it reports ready; the loops have not run
      const [row] = (await rows("SELECT cursor_seq FROM hl7_outbound_state WHERE name = 'early'")) as [
        { cursor_seq: number } | undefined,
      ];
      assert.ok(row, 'the cursor exists before the first run');
      assert.deepEqual(await store.changesAfter(Number(row.cursor_seq), 10), [], 'at the end of the change log');
      await fhir.put(patient('p-early', 'MRN-EARLY', 'Sabah'));
      const next = await store.changesAfter(Number(row.cursor_seq), 10);
      assert.deepEqual(
        next.map((c) => `${c.resourceType}/${c.id}`),
        ['Patient/p-early'],
        'the change written after ready() is ahead of the cursor',
      );
      await early.ready();
      const [again] = (await rows("SELECT cursor_seq FROM hl7_outbound_state WHERE name = 'early'")) as [
        { cursor_seq: number },
      ];
      assert.equal(Number(again.cursor_seq), Number(row.cursor_seq), 'ready() again leaves the cursor where it is');
    } finally {
      await early.stop();
    }
  });

  it('a worker started for the first time begins after the changes already in the store', async () => {
    const other = new OutboundWorker({ store, mysqlUrl: db.url, name: 'fresh', pollIntervalMs: 20 });
    // Two workers in one database: only the lock holder of its own name runs; this one is named differently.
    other.start();
    const s = await waitFor('cursor created', async () => {
      const st = await other.status();
      return st.active && st.cursor > 0 ? st : undefined;
    });
    await other.stop();
    const [{ n }] = (await rows("SELECT COUNT(*) n FROM hl7_outbound_state WHERE name = 'fresh' AND cursor_seq = ?", [
      s.cursor,
    ])) as [{ n: number }];
    assert.equal(n, 1);
    const changes = await store.changesAfter(s.cursor, 10);
    assert.deepEqual(changes, [], 'the cursor is at the end of the change log');
  });
});
