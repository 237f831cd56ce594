/**
 * A message's life in the log, against the real stores (nilecare_interop on MariaDB, the FHIR app on PGlite):
 * identical and different resends, whole-sender duplicate keys, crash recovery by lease, refusals logged,
 * processing ids, transient vs permanent failures, MSH-7 kept in UTC.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { createHash, randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../../server/migrate/testing/test-databases.js';
import { migrateDatabase } from '../../../server/migrate/migrate.js';
import { mysqlMissing } from '../../../server/testing/mysql-missing.js';
import { pgliteTestStore } from '../../../server/store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../../server/testing/test-server.js';
import { MysqlMessageLog } from '../log/mysql-message-log.js';
import { parseMessage } from '../parser/parse-message.js';
import { processMessage, type InboundDeps } from './process-message.js';
import { siteMappings } from './site-mapping-cache.js';
import { recoverStale } from './recovery.js';
import { replayQueue } from './replay-queue.js';
import { handleFrame } from './handle-frame.js';
import { FhirError, issue, operationOutcome } from '../../../server/fhir/errors.js';

type Row = mysql.RowDataPacket & Record<string, any>;

const adt = (o: { id: string; mrn: string; name?: string; app?: string; msh7?: string; proc?: string }) =>
  `MSH|^~\\&|${o.app ?? 'REG'}|KTH|NILE|NC|${o.msh7 ?? '20260301101500'}||ADT^A04^ADT_A01|${o.id}|${o.proc ?? 'P'}|2.5.1\r` +
  `PID|1||${o.mrn}^^^KTH^MR||${o.name ?? 'Osman^Fatima'}||19900101|F\rPV1|1|O`;

describe('inbound message lifecycle (MariaDB log, FHIR app on PGlite)', { skip: await mysqlMissing() }, () => {
  let db: TestDatabase;
  let log: MysqlMessageLog;
  let sql: mysql.Connection;
  let fhir: TestServer;
  let dispose: () => Promise<void>;
  let deps: InboundDeps;
  const owner = { node: 'node-a', boot: 'boot-2' };

  before(async () => {
    db = await createTestDatabase('mysql', 'nilecare_interop');
    await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: db.url } });
    log = MysqlMessageLog.open(db.url);
    sql = await mysql.createConnection({ uri: db.url, dateStrings: true });
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    fhir = await startTestServer(opened.store);
    deps = {
      submit: (b) => fhir.app.systemClient.transaction(b, { return: 'minimal' }),
      log,
      mappings: siteMappings(log, { checkEveryMs: 0 }),
      owner,
    };
  });
  after(async () => {
    await sql?.end();
    await log?.close();
    await fhir?.close();
    await fhir?.app.store.close();
    await dispose?.();
    await db?.drop();
  });

  const rows = async (where: string, params: unknown[] = []) =>
    (await sql.query<Row[]>(`SELECT * FROM hl7_messages WHERE ${where} ORDER BY received_at, id`, params))[0];
  const patient = async (mrn: string) => {
    const found = await fhir.fhir(`/Patient?identifier=${mrn}`);
    return found.body.entry?.map((e: { resource: any }) => e.resource) ?? [];
  };
  const versions = async (type: string, id: string) =>
    (await fhir.fhir(`/${type}/${id}/_history`)).body.entry.length as number;

  it('answers an identical resend (other line endings) with the stored ACK and writes no new version', async () => {
    const text = adt({ id: 'RS-1', mrn: 'RS-MRN' });
    const first = await processMessage(text, deps);
    assert.equal(first.code, 'AA');
    const again = await processMessage(text.replace(/\r/g, '\r\n'), deps);
    assert.deepEqual([again.code, again.duplicate, again.ack], ['AA', true, first.ack]);
    const [p] = await patient('RS-MRN');
    assert.equal(await versions('Patient', p.id), 1);
    assert.equal((await rows('control_id = ?', ['RS-1'])).length, 1);
  });

  it('refuses a resend with the same control id and other content (AR 205), keeps it, and changes nothing', async () => {
    await processMessage(adt({ id: 'RS-2', mrn: 'RS2-MRN' }), deps);
    const other = adt({ id: 'RS-2', mrn: 'RS2-MRN', name: 'Osman^Fatma' });
    const r = await processMessage(other, deps);
    assert.equal(r.code, 'AR');
    const ack = parseMessage(r.ack!);
    assert.deepEqual([ack.get('MSA-1'), ack.get('MSA-2'), ack.get('ERR-3.1')], ['AR', 'RS-2', '205']);
    const [p] = await patient('RS2-MRN');
    assert.equal(p.name[0].given[0], 'Fatima');
    assert.equal(await versions('Patient', p.id), 1);
    const kept = await rows('control_id = ?', ['RS-2']);
    assert.deepEqual(
      kept.map((k) => k.status),
      ['processed', 'duplicate'],
    );
    assert.equal(kept[1]!.duplicate_of, kept[0]!.id);
    assert.equal(kept[1]!.raw_message, other);
    assert.equal(kept[1]!.ack_code, 'AR');
    const [logs] = await sql.query<Row[]>('SELECT level, message FROM hl7_message_logs WHERE message_id = ?', [
      kept[0]!.id,
    ]);
    assert.ok(logs.some((l) => l.level === 'warning' && /other content was refused/.test(l.message)));
  });

  it('keys control ids on the whole of MSH-3 and MSH-4, not only their first component', async () => {
    const a = await processMessage(adt({ id: 'HD-1', mrn: 'HD-A', app: 'LAB^1.2.3^ISO' }), deps);
    const b = await processMessage(adt({ id: 'HD-1', mrn: 'HD-B', app: 'LAB^9.9.9^ISO' }), deps);
    assert.deepEqual([a.code, b.code, b.duplicate], ['AA', 'AA', undefined]);
    assert.equal((await patient('HD-B')).length, 1);
    assert.deepEqual((await rows('control_id = ?', ['HD-1'])).map((r) => r.sending_application).sort(), [
      'LAB^1.2.3^ISO',
      'LAB^9.9.9^ISO',
    ]);
  });

  it('keeps MSH-7 as message_datetime in UTC (the sender offset, else the site zone)', async () => {
    await processMessage(adt({ id: 'DT-1', mrn: 'DT-1', msh7: '20260301101500+0300' }), deps);
    await processMessage(adt({ id: 'DT-2', mrn: 'DT-2', msh7: '20260301101500' }), deps);
    const [a] = await rows('control_id = ?', ['DT-1']);
    const [b] = await rows('control_id = ?', ['DT-2']);
    assert.equal(a!.message_datetime, '2026-03-01 07:15:00.000');
    assert.equal(b!.message_datetime, '2026-03-01 08:15:00.000');
  });

  it('logs what it refuses at parse and MSH level, and does not let a refused message hold its control id', async () => {
    const garbage = await processMessage('PID|1||X\rMSH|nonsense', deps);
    assert.equal(garbage.code, 'AR');
    const [g] = await rows('id = ?', [garbage.messageId]);
    assert.deepEqual([g!.status, g!.ack_code, g!.raw_message], ['rejected', 'AR', 'PID|1||X\rMSH|nonsense']);
    const badVersion = adt({ id: 'MV-1', mrn: 'MV-1' }).replace('|2.5.1', '|3.0');
    const r = await processMessage(badVersion, deps);
    assert.equal(r.code, 'AR');
    assert.equal(parseMessage(r.ack!).get('ERR-3.1'), '203');
    const [v] = await rows('control_id = ?', ['MV-1']);
    assert.deepEqual([v!.status, v!.message_type, v!.hl7_version], ['rejected', 'ADT', '3.0']);
    // Corrected and sent again with the same control id: processed.
    assert.equal((await processMessage(adt({ id: 'MV-1', mrn: 'MV-1' }), deps)).code, 'AA');
    const unsupported = await processMessage(adt({ id: 'MV-2', mrn: 'MV-2' }).replace('ADT^A04', 'ADT^Z99'), deps);
    assert.deepEqual([unsupported.code, parseMessage(unsupported.ack!).get('ERR-3.1')], ['AR', '201']);
    assert.equal((await rows('control_id = ?', ['MV-2']))[0]!.status, 'rejected');
    // An unknown message type is refused at message level too (AR 200), not answered AE as a content error.
    const unknownType = await processMessage(
      adt({ id: 'MV-3', mrn: 'MV-3' }).replace('ADT^A04^ADT_A01', 'ZZZ^Z01'),
      deps,
    );
    assert.deepEqual([unknownType.code, parseMessage(unknownType.ack!).get('ERR-3.1')], ['AR', '200']);
    assert.deepEqual(
      [(await rows('control_id = ?', ['MV-3']))[0]!.status, (await patient('MV-3')).length],
      ['rejected', 0],
    );
  });

  it('never writes a training (T) or debugging (D) message on a production server; a test server takes it', async () => {
    const t = await processMessage(adt({ id: 'PT-1', mrn: 'PT-1', proc: 'T' }), deps);
    assert.deepEqual([t.code, parseMessage(t.ack!).get('ERR-3.1')], ['AR', '202']);
    const d = await processMessage(adt({ id: 'PT-2', mrn: 'PT-1', proc: 'D' }), deps);
    assert.equal(d.code, 'AR');
    assert.equal((await patient('PT-1')).length, 0);
    const testServer = await processMessage(adt({ id: 'PT-3', mrn: 'PT-1', proc: 'T' }), {
      ...deps,
      processingIds: ['P', 'T'],
    });
    assert.equal(testServer.code, 'AA');
  });

  it('recovers a message left processing by a crash: processed again when its transaction had not committed', async () => {
    const text = adt({ id: 'CR-1', mrn: 'CR-1' });
    const crashed = { node: 'node-a', boot: 'boot-1' };
    // What a crash leaves: the row, leased to the previous boot of this node, nothing written in FHIR.
    await log.record({
      ...(await import('./message-facts.js')).recordOf(parseMessage(text), text, { defaultOffset: '+02:00' }),
      status: 'processing',
      owner: `${crashed.node}:${crashed.boot}`,
      leaseMs: 600_000,
    });
    // Another node does not take it while the lease runs; this node's next boot does.
    const other = await processMessage(text, { ...deps, owner: { node: 'node-b', boot: 'x' } });
    assert.deepEqual([other.code, other.busy, parseMessage(other.ack!).get('ERR-3.1')], ['AE', true, '206']);
    const recovered = await recoverStale(deps);
    assert.deepEqual(
      recovered.map((r) => r.code),
      ['AA'],
    );
    assert.equal((await patient('CR-1')).length, 1);
    const [row] = await rows('control_id = ?', ['CR-1']);
    assert.deepEqual([row!.status, row!.lease_until, row!.locked_by], ['processed', null, null]);
    assert.deepEqual(await recoverStale(deps), []);
  });

  it('recovers a message whose transaction committed before the crash without writing it again', async () => {
    const text = adt({ id: 'CR-2', mrn: 'CR-2' });
    assert.equal((await processMessage(text, deps)).code, 'AA');
    // The crash hit between the FHIR commit and the log's outcome: the row still says processing.
    await sql.query(
      "UPDATE hl7_messages SET status = 'processing', ack_code = NULL, locked_by = 'node-a:boot-1', lease_until = NOW(3) + INTERVAL 10 MINUTE WHERE control_id = 'CR-2'",
    );
    const resend = await processMessage(text, deps); // the sender resends after the restart
    assert.equal(resend.code, 'AA');
    const [p] = await patient('CR-2');
    assert.equal(await versions('Patient', p.id), 1, 'applied once');
    const [row] = await rows('control_id = ?', ['CR-2']);
    assert.equal(row!.status, 'processed');
    const [logs] = await sql.query<Row[]>('SELECT message FROM hl7_message_logs WHERE message_id = ?', [row!.id]);
    assert.ok(logs.some((l) => /committed before a crash/.test(l.message)));
  });

  it('queues a transient failure for a retry, but not a permanent content error', async () => {
    const flaky: InboundDeps = {
      ...deps,
      submit: async () => {
        throw new FhirError(503, operationOutcome([issue('transient', 'store unavailable')]));
      },
    };
    const t = await processMessage(adt({ id: 'TF-1', mrn: 'TF-1' }), flaky);
    assert.deepEqual([t.code, t.transient], ['AE', true]);
    assert.match(parseMessage(t.ack!).get('ERR-8'), /will be retried/);
    const bad = adt({ id: 'TF-2', mrn: 'TF-2' }).replace('PV1|1|O', 'PV1|1|O\rOBX|1|NM|8867-4^Heart rate^LN||fast');
    const p = await processMessage(bad, deps);
    assert.deepEqual([p.code, p.transient], ['AE', undefined]);
    const [q] = await sql.query<Row[]>(
      'SELECT m.control_id, q.status FROM message_queue q JOIN hl7_messages m ON m.id = q.message_id WHERE m.control_id IN (?, ?)',
      ['TF-1', 'TF-2'],
    );
    assert.deepEqual(
      q.map((x) => [x.control_id, x.status]),
      [['TF-1', 'pending']],
    );
    assert.equal((await rows('control_id = ?', ['TF-2']))[0]!.status, 'failed');
    assert.deepEqual(await replayQueue(deps), { attempted: 1, completed: 1, failed: 0 });
    assert.equal((await patient('TF-1')).length, 1);
  });

  it('stores a 5 MB ED document (ORU OBX, MDM^T02 OBX) as Binary + DocumentReference: AA, nothing queued (#16 item 10)', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(5 * 1024 * 1024)]);
    const sha1 = createHash('sha1').update(pdf).digest('base64');
    const oru =
      'MSH|^~\\&|LAB|KTH|NILE|NC|20260301101500||ORU^R01^ORU_R01|BIG-1|P|2.5.1\r' +
      'PID|1||BIG-MRN^^^KTH^MR||Osman^Fatima||19900101|F\r' +
      'OBR|1|PB1|FB1|11502-2^Lab report^LN|||20260301\r' +
      `OBX|1|ED|11502-2^Lab report^LN||^application^pdf^Base64^${pdf.toString('base64')}||||||F`;
    const mdm =
      'MSH|^~\\&|DOCS|KTH|NILE|NC|20260301111500||MDM^T02^MDM_T02|BIG-2|P|2.5.1\r' +
      'EVN|T02|20260301111500\r' +
      'PID|1||BIG-MRN^^^KTH^MR||Osman^Fatima||19900101|F\r' +
      'PV1|1|I\r' +
      'TXA|1|DS^Discharge summary|AP|20260301110000|||||||||DOC-BIG-2||||||AU\r' +
      `OBX|1|ED|18842-5^Discharge summary^LN||^application^pdf^Base64^${pdf.toString('base64')}||||||F`;
    for (const [text, id] of [
      [oru, 'BIG-1'],
      [mdm, 'BIG-2'],
    ] as const) {
      const r = await processMessage(text, deps);
      assert.equal(r.code, 'AA', r.ack);
      const [row] = await rows('control_id = ?', [id]);
      assert.equal(row!.status, 'processed');
      const [q] = await sql.query<Row[]>('SELECT COUNT(*) AS n FROM message_queue WHERE message_id = ?', [row!.id]);
      assert.equal(Number(q[0]!.n), 0, 'nothing waits in the replay queue');
    }
    const [p] = await patient('BIG-MRN');
    const docs = (await fhir.fhir(`/DocumentReference?subject=Patient/${p.id}`)).body.entry.map(
      (e: { resource: any }) => e.resource,
    );
    assert.equal(docs.length, 2);
    for (const doc of docs) {
      const attachment = doc.content[0].attachment;
      assert.equal(attachment.data, undefined, 'the bytes are not inlined in the DocumentReference');
      assert.deepEqual(
        [attachment.contentType, attachment.size, attachment.hash],
        ['application/pdf', pdf.length, sha1],
      );
      const bytes = await fetch(`${fhir.baseUrl}/${attachment.url}`, { headers: { accept: 'application/pdf' } });
      assert.equal(bytes.status, 200);
      assert.equal(
        createHash('sha1')
          .update(Buffer.from(await bytes.arrayBuffer()))
          .digest('base64'),
        sha1,
      );
      const binary = await fhir.fhir(`/${attachment.url}?_summary=true`);
      assert.equal(binary.body.securityContext.reference, `Patient/${p.id}`);
    }
  });

  it('answers a genuinely bad document payload with a truthful AE (not valid base64), permanent, not queued', async () => {
    const bad =
      'MSH|^~\\&|LAB|KTH|NILE|NC|20260301101500||ORU^R01^ORU_R01|BAD-DOC-1|P|2.5.1\r' +
      'PID|1||BAD-DOC-MRN^^^KTH^MR||Osman^Fatima||19900101|F\r' +
      'OBR|1|PB2|FB2|11502-2^Lab report^LN|||20260301\r' +
      'OBX|1|ED|11502-2^Lab report^LN||^application^pdf^Base64^JVBERi0x*not*base64!||||||F';
    const r = await processMessage(bad, deps);
    const ack = parseMessage(r.ack!);
    assert.equal(r.code, 'AE');
    assert.match(ack.get('ERR-8'), /OBX-5.*not valid base64/);
    const [row] = await rows('control_id = ?', ['BAD-DOC-1']);
    assert.equal(row!.status, 'failed');
    const [q] = await sql.query<Row[]>('SELECT COUNT(*) AS n FROM message_queue WHERE message_id = ?', [row!.id]);
    assert.equal(Number(q[0]!.n), 0, 'not queued: a retry cannot help');
    assert.equal((await patient('BAD-DOC-MRN')).length, 0, 'nothing of it written');
  });

  it('answers in enhanced mode with accept acknowledgements (CA, CR, CE) as MSH-15 asks', async () => {
    const enhanced = (id: string, mrn: string, accept: string, app = '') =>
      adt({ id, mrn }).replace('|P|2.5.1', `|P|2.5.1|||${accept}|${app}`);
    const ca = await processMessage(enhanced('EN-1', 'EN-1', 'AL', 'NE'), deps);
    assert.deepEqual([ca.code, parseMessage(ca.ack!).get('MSA-1')], ['AA', 'CA']);
    const cr = await processMessage(enhanced('EN-2', 'EN-2', 'AL').replace('ADT^A04', 'ADT^Z99'), deps);
    assert.equal(parseMessage(cr.ack!).get('MSA-1'), 'CR');
    const bad = enhanced('EN-3', 'EN-3', 'AL').replace('PV1|1|O', 'PV1|1|O\rOBX|1|NM|8867-4^Heart rate^LN||fast');
    assert.equal(parseMessage((await processMessage(bad, deps)).ack!).get('MSA-1'), 'CE');
    // MSH-15 NE, MSH-16 AL: the application acknowledgement on the connection.
    const app = await processMessage(enhanced('EN-4', 'EN-4', 'NE', 'AL'), deps);
    assert.equal(parseMessage(app.ack!).get('MSA-1'), 'AA');
    // An interface configured for strict enhanced mode gets no answer when it asks for none.
    const silent = await processMessage(enhanced('EN-5', 'EN-5', 'NE', 'NE'), deps, { ackMode: 'enhanced' });
    assert.deepEqual([silent.code, silent.ack], ['AA', undefined]);
  });

  it('never lets T or D through another door: a batch beside a P message, enhanced mode, lower case, a replayed queue item', async () => {
    // A batch to a production server: the P message is applied, the T message beside it refused and not written.
    const batch =
      'BHS|^~\\&|REG|KTH|NILE|NC|20260301\r' +
      `${adt({ id: 'PB-1', mrn: 'PB-1' })}\r${adt({ id: 'PB-2', mrn: 'PB-2', proc: 'T' })}\rBTS|2\r`;
    const reply = (await handleFrame(Buffer.from(batch), deps))!.toString();
    const msas = reply.split('\r').filter((l) => l.startsWith('MSA'));
    assert.deepEqual(
      msas.map((l) => l.split('|').slice(1, 3).join('|')),
      ['AA|PB-1', 'AR|PB-2'],
    );
    assert.deepEqual([(await patient('PB-1')).length, (await patient('PB-2')).length], [1, 0]);
    // Enhanced mode asks for a commit acknowledgement: a refusal there is CR, not CA.
    const enhanced = adt({ id: 'PB-3', mrn: 'PB-3', proc: 'D' }).replace('|D|2.5.1', '|D|2.5.1|||AL|NE');
    assert.equal(parseMessage((await processMessage(enhanced, deps)).ack!).get('MSA-1'), 'CR');
    // Table 0103 codes are upper case: 't' is not P.
    const lower = await processMessage(adt({ id: 'PB-4', mrn: 'PB-4', proc: 't' }), deps);
    assert.deepEqual([lower.code, parseMessage(lower.ack!).get('ERR-3.1')], ['AR', '202']);
    assert.equal((await patient('PB-3')).length + (await patient('PB-4')).length, 0);
    // A T message a test configuration queued (its store was down) and a production server replays: refused,
    // nothing written, and it does not wait in the queue as if a retry could help.
    const down: InboundDeps = {
      ...deps,
      processingIds: ['P', 'T'],
      submit: async () => {
        throw new FhirError(503, operationOutcome([issue('transient', 'store unavailable')]));
      },
    };
    assert.deepEqual((await processMessage(adt({ id: 'PB-5', mrn: 'PB-5', proc: 'T' }), down)).transient, true);
    const replayed = await replayQueue(deps);
    assert.deepEqual([replayed.attempted, replayed.completed], [1, 0]);
    assert.equal((await patient('PB-5')).length, 0);
    const [pending] = await sql.query<Row[]>(
      "SELECT q.status FROM message_queue q JOIN hl7_messages m ON m.id = q.message_id WHERE m.control_id = 'PB-5' AND q.status = 'pending'",
    );
    assert.equal(pending.length, 0, 'not left pending');
    assert.deepEqual(await replayQueue(deps), { attempted: 0, completed: 0, failed: 0 });
  });
});
