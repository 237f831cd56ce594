/**
 * The whole corpus over real MLLP into the FHIR app with the message log on MariaDB (nilecare_interop), as the
 * server runs it: every message of a supported type is AA and logged `processed`; the documented exceptions are
 * AE/AR and logged with their error. Corpus files reuse control ids for different messages, so each copy gets its
 * own MSH-10 (file index) — nothing else of the message is changed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { createTestDatabase, type TestDatabase } from '../../../server/migrate/testing/test-databases.js';
import { migrateDatabase } from '../../../server/migrate/migrate.js';
import { mysqlMissing } from '../../../server/testing/mysql-missing.js';
import { pgliteTestStore } from '../../../server/store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../../server/testing/test-server.js';
import { startMllpServer, type MllpServer } from '../mllp/mllp-server.js';
import { MllpClient } from '../mllp/mllp-client.js';
import { MysqlMessageLog } from '../log/mysql-message-log.js';
import { parseMessage } from '../parser/parse-message.js';
import { splitBatch } from '../parser/batch.js';
import { loadMappings } from '../mapping/load-mappings.js';
import { templateFor } from '../mapping/mapping-engine.js';
import { siteMappings } from './site-mapping-cache.js';
import { inboundHandler } from './handle-frame.js';
import { corpusFiles, hl7CorpusMissing, REJECTED_ON_PURPOSE } from '../testing/corpus.js';

const mappings = loadMappings();
const supported = (text: string) => {
  try {
    templateFor(parseMessage(text), mappings);
    return true;
  } catch {
    return false;
  }
};
/** The message with MSH-10 replaced (the field separator is the 4th character). */
const withControlId = (text: string, id: string) => {
  const sep = text.replace(/^\uFEFF/, '')[3]!;
  const end = text.search(/[\r\n]/);
  const msh = (end < 0 ? text : text.slice(0, end)).split(sep);
  msh[9] = id;
  return msh.join(sep) + (end < 0 ? '' : text.slice(end));
};

describe('corpus over MLLP, message log on MariaDB', { skip: await mysqlMissing() }, () => {
  let db: TestDatabase;
  let log: MysqlMessageLog;
  let sql: mysql.Connection;
  let fhir: TestServer;
  let dispose: () => Promise<void>;
  let mllp: MllpServer;
  let client: MllpClient;

  before(async () => {
    db = await createTestDatabase('mysql', 'nilecare_interop');
    await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: db.url } });
    log = MysqlMessageLog.open(db.url);
    sql = await mysql.createConnection({ uri: db.url, dateStrings: true });
    const opened = await pgliteTestStore();
    dispose = opened.dispose;
    fhir = await startTestServer(opened.store);
    const handler = inboundHandler({
      submit: (b) => fhir.app.systemClient.transaction(b, { return: 'minimal' }),
      log,
      mappings: siteMappings(log, { checkEveryMs: 0 }),
      processingIds: ['P', 'T', 'D'], // the corpus holds training and debugging messages
    });
    mllp = await startMllpServer(handler, { port: 0 });
    client = new MllpClient({ host: '127.0.0.1', port: mllp.port, timeoutMs: 60_000 });
  });
  after(async () => {
    await client?.close();
    await mllp?.close();
    await sql?.end();
    await log?.close();
    await fhir?.close();
    await fhir?.app.store.close();
    await dispose?.();
    await db?.drop();
  });

  it('answers every supported corpus message AA (or its documented AE/AR) and logs each outcome', async (t) => {
    const missing = hl7CorpusMissing();
    if (missing) {
      t.skip(missing);
      return;
    }
    const counts: Record<string, number> = {};
    const unexpected: string[] = [];
    let n = 0;
    for (const file of corpusFiles('messages')) {
      for (const original of splitBatch(file.text).messages.filter(supported)) {
        const controlId = `CORPUS-${++n}`;
        const ack = parseMessage(await client.send(withControlId(original, controlId)));
        // Enhanced mode (MSH-15/16) answers with the accept acknowledgement: CA/CE/CR stand for AA/AE/AR.
        const code = ({ CA: 'AA', CE: 'AE', CR: 'AR' } as Record<string, string>)[ack.get('MSA-1')] ?? ack.get('MSA-1');
        counts[code] = (counts[code] ?? 0) + 1;
        const [rows] = await sql.query<mysql.RowDataPacket[]>(
          "SELECT status FROM hl7_messages WHERE control_id = ? AND direction = 'inbound'",
          [ack.get('MSA-2') || controlId], // MSA-2: the control id as parsed (one corpus MSH is hard-wrapped)
        );
        const refused = REJECTED_ON_PURPOSE[file.name];
        const expected = refused ? refused.code : 'AA';
        const status = rows[0]?.status;
        const logged = expected === 'AA' ? 'processed' : expected === 'AE' ? 'failed' : 'rejected';
        if (code !== expected || status !== logged)
          unexpected.push(`${file.name}: ${code} (${ack.get('ERR-8')}), logged ${status}; expected ${expected}`);
      }
    }
    console.log(`# corpus on MariaDB: ${n} messages, ${JSON.stringify(counts)}`);
    assert.deepEqual(unexpected, []);
    assert.ok((counts.AA ?? 0) >= 205, `only ${counts.AA} AA`);
  });
});
