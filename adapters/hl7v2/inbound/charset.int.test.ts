/**
 * Character sets over real MLLP into the FHIR app (PGlite) with the message log on MariaDB: MSH-18, the
 * interface's configured charset when MSH-18 is empty, \Xhh\ in the declared charset, bytes that are not what they
 * claim, and the ACK in the sender's charset.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { createTestDatabase, type TestDatabase } from '../../../server/migrate/testing/test-databases.js';
import { migrateDatabase } from '../../../server/migrate/migrate.js';
import { mysqlMissing } from '../../../server/testing/mysql-missing.js';
import { pgliteTestStore } from '../../../server/store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../../server/testing/test-server.js';
import { MysqlMessageLog } from '../log/mysql-message-log.js';
import { startMllpServer, type MllpServer } from '../mllp/mllp-server.js';
import { frame, MllpDecoder } from '../mllp/mllp-framer.js';
import { parseMessage } from '../parser/parse-message.js';
import { cachedInterfaces, inboundHandler } from './handle-frame.js';
import { siteMappings } from './site-mapping-cache.js';
import net from 'node:net';

/** Sends bytes in one MLLP frame and returns the reply's bytes. */
async function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  const decoder = new MllpDecoder();
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      socket.on('data', (chunk) => {
        for (const ev of decoder.push(chunk)) if (ev.kind === 'frame') resolve(ev.payload);
      });
      socket.on('error', reject);
      socket.write(frame(bytes));
    });
  } finally {
    socket.destroy();
  }
}

const adt = (id: string, mrn: string, name: string, msh18 = '') =>
  `MSH|^~\\&|CLINIC|OMDURMAN|NILE|NC|20260301||ADT^A04|${id}|P|2.5||||||${msh18}\rPID|1||${mrn}^^^OMD^MR||${name}||19800101|M\rPV1|1|O\r`;

describe('HL7 character sets (MLLP → FHIR)', { skip: await mysqlMissing() }, () => {
  let db: TestDatabase;
  let log: MysqlMessageLog;
  let sql: mysql.Connection;
  let fhir: TestServer;
  let dispose: () => Promise<void>;
  let mllp: MllpServer;

  before(async () => {
    db = await createTestDatabase('mysql', 'nilecare_interop');
    await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: db.url } });
    log = MysqlMessageLog.open(db.url);
    sql = await mysql.createConnection({ uri: db.url });
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    fhir = await startTestServer(opened.store);
    const deps = {
      submit: (b: Parameters<typeof fhir.app.systemClient.transaction>[0]) =>
        fhir.app.systemClient.transaction(b, { return: 'minimal' as const }),
      log,
      mappings: siteMappings(log),
    };
    mllp = await startMllpServer(inboundHandler(deps, cachedInterfaces(log, 0)), { port: 0 });
  });
  after(async () => {
    await mllp?.close();
    await sql?.end();
    await log?.close();
    await fhir?.close();
    await fhir?.app.store.close();
    await dispose?.();
    await db?.drop();
  });

  const familyOf = async (mrn: string) =>
    (await fhir.fhir(`/Patient?identifier=${mrn}`)).body.entry?.[0]?.resource.name[0] as
      { family: string; given: string[] } | undefined;

  it('reads ISO 8859-1 and 8859-15 as MSH-18 declares, and answers in that charset', async () => {
    const reply = await exchange(mllp.port, Buffer.from(adt('CS-1', 'CS-1', 'Müller^Zoë', '8859/1'), 'latin1'));
    assert.equal((await familyOf('CS-1'))?.family, 'Müller');
    const ack = reply.toString('latin1');
    assert.match(ack, /MSA\|AA\|CS-1/);
    assert.equal(parseMessage(ack).get('MSH-18'), '8859/1');
    // 0xA4 is € in 8859-15 (¤ in 8859-1).
    const euro = Buffer.from(adt('CS-2', 'CS-2', 'XEUROX^Ali', '8859/15'), 'latin1');
    euro[euro.indexOf('XEUROX')] = 0xa4;
    await exchange(mllp.port, euro);
    assert.equal((await familyOf('CS-2'))?.family, '€EUROX');
  });

  it("with no MSH-18 uses the interface's configured charset; without one refuses bytes that are not UTF-8", async () => {
    const latin = Buffer.from(adt('CS-3', 'CS-3', 'Sélim^Chérif'), 'latin1');
    const refused = parseMessage((await exchange(mllp.port, latin)).toString('utf8'));
    assert.equal(refused.get('MSA-1'), 'AR');
    assert.match(refused.get('ERR-8'), /not valid UTF-8.*MSH-18/);
    assert.equal(await familyOf('CS-3'), undefined);
    const [kept] = await sql.query<mysql.RowDataPacket[]>(
      "SELECT status, raw_message FROM hl7_messages WHERE status = 'rejected' AND raw_message LIKE '%CS-3%'",
    );
    assert.equal(kept.length, 1, 'the refused message is logged');
    await sql.query(
      "INSERT INTO interface_configs (name, direction, sending_application, character_encoding) VALUES ('omdurman-clinic', 'inbound', 'CLINIC', '8859/1')",
    );
    const ack = parseMessage((await exchange(mllp.port, latin)).toString('latin1'));
    assert.equal(ack.get('MSA-1'), 'AA');
    assert.deepEqual(await familyOf('CS-3'), { family: 'Sélim', given: ['Chérif'] });
  });

  it('decodes \\Xhh\\ in the declared charset and keeps Arabic names with no-break spaces (UTF-8)', async () => {
    await exchange(mllp.port, Buffer.from(adt('CS-4', 'CS-4', 'Ca\\XE7\\ar^Ana', '8859/1'), 'latin1'));
    assert.equal((await familyOf('CS-4'))?.family, 'Caçar');
    const arabic = 'عبد\u00a0الله^محمد'; // a no-break space inside the family name
    const ack5 = parseMessage(
      (await exchange(mllp.port, Buffer.from(adt('CS-5', 'CS-5', arabic, 'UNICODE UTF-8'), 'utf8'))).toString(),
    );
    assert.equal(ack5.get('MSA-1'), 'AA', ack5.get('ERR-8'));
    assert.equal((await familyOf('CS-5'))?.family, 'عبد\u00a0الله');
  });

  it("reads \\Xhh\\ in the interface's charset when MSH-18 is empty, on arrival and when processed again from the stored text", async () => {
    // The interface CLINIC is configured 8859/1 (previous test); this message declares nothing.
    const bytes = Buffer.from(adt('CS-7', 'CS-7', 'Ren\\XE9\\e^Andr\\XE9\\'), 'latin1');
    const ack = parseMessage((await exchange(mllp.port, bytes)).toString('latin1'));
    assert.equal(ack.get('MSA-1'), 'AA', ack.get('ERR-8'));
    assert.deepEqual(await familyOf('CS-7'), { family: 'Renée', given: ['André'] });
    // What a replay or a crash recovery does: the stored raw text through the pipeline again (new control id).
    const [stored] = await sql.query<mysql.RowDataPacket[]>(
      "SELECT raw_message FROM hl7_messages WHERE control_id = 'CS-7'",
    );
    const again = (stored[0]!.raw_message as string).replace(/CS-7/g, 'CS-8');
    const { processMessage } = await import('./process-message.js');
    const r = await processMessage(again, {
      submit: (b) => fhir.app.systemClient.transaction(b),
      log,
      mappings: siteMappings(log),
    });
    assert.equal(r.code, 'AA');
    assert.deepEqual(await familyOf('CS-8'), { family: 'Renée', given: ['André'] });
  });

  it('refuses a charset it cannot read with a clear ERR', async () => {
    const ack = parseMessage(
      (await exchange(mllp.port, Buffer.from(adt('CS-6', 'CS-6', 'X^Y', 'ISO IR87')))).toString(),
    );
    assert.deepEqual([ack.get('MSA-1'), ack.get('ERR-3.1')], ['AR', '103']);
    assert.match(ack.get('ERR-8'), /ISO IR87.*not supported/);
  });
});
