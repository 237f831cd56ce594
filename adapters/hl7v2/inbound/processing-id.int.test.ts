/**
 * MSH-11 processing ids over real MLLP into the FHIR app (PGlite), message log on MariaDB: a production server
 * stores P only; an interface configured to take T (interface_configs.settings.processing_ids) gets its training
 * messages checked and answered truthfully but never stored; any other T/D is refused (AR 202); a test server
 * (HL7_PROCESSING_IDS=P,T,D) stores them.
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
import { sendOnce } from '../mllp/mllp-client.js';
import { parseMessage } from '../parser/parse-message.js';
import type { Hl7Message } from '../parser/hl7-message.js';
import { cachedInterfaces, inboundHandler } from './handle-frame.js';
import { siteMappings } from './site-mapping-cache.js';

const adt = (app: string, id: string, mrn: string, processing: string, visit = '') =>
  `MSH|^~\\&|${app}|KTH|NILE|NC|20260301||ADT^A04|${id}|${processing}|2.5.1\rPID|1||${mrn}^^^KTH^MR||Test^Patient||19800101|M\rPV1|1|O|||||||||||||||||${visit}\r`;

describe(
  'HL7 MSH-11 processing ids (production store, per-interface check-only, test server)',
  { skip: await mysqlMissing() },
  () => {
    let db: TestDatabase;
    let log: MysqlMessageLog;
    let sql: mysql.Connection;
    let fhir: TestServer;
    let dispose: () => Promise<void>;
    let production: MllpServer;
    let testServer: MllpServer;

    before(async () => {
      db = await createTestDatabase('mysql', 'nilecare_interop');
      await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: db.url } });
      log = MysqlMessageLog.open(db.url);
      sql = await mysql.createConnection({ uri: db.url });
      await sql.query(
        `INSERT INTO interface_configs (name, direction, sending_application, settings) VALUES
         ('lab-certification', 'inbound', 'CERTLAB', '{"processing_ids": ["P", "T"]}'),
         ('pharmacy', 'inbound', 'PHARM', NULL)`,
      );
      const opened = await pgliteTestStore();
      dispose = opened.dispose;
      fhir = await startTestServer(opened.store);
      const deps = {
        submit: (b: Parameters<typeof fhir.app.systemClient.transaction>[0]) =>
          fhir.app.systemClient.transaction(b, { return: 'minimal' as const }),
        log,
        mappings: siteMappings(log),
      };
      production = await startMllpServer(inboundHandler(deps, cachedInterfaces(log, 0)), { port: 0 });
      testServer = await startMllpServer(
        inboundHandler({ ...deps, processingIds: ['P', 'T', 'D'] }, cachedInterfaces(log, 0)),
        { port: 0 },
      );
    });
    after(async () => {
      await production?.close();
      await testServer?.close();
      await sql?.end();
      await log?.close();
      await fhir?.close();
      await fhir?.app.store.close();
      await dispose?.();
      await db?.drop();
    });

    const send = async (server: MllpServer, text: string): Promise<Hl7Message> =>
      parseMessage(await sendOnce({ host: '127.0.0.1', port: server.port }, text));
    const stored = async (mrn: string) => (await fhir.fhir(`/Patient?identifier=${mrn}`)).body.entry?.length ?? 0;
    const logged = async (controlId: string) =>
      (
        await sql.query<mysql.RowDataPacket[]>(
          `SELECT m.status, m.ack_code, m.processing_id, m.fhir_resources, GROUP_CONCAT(l.message SEPARATOR ' | ') AS log_lines
         FROM hl7_messages m LEFT JOIN hl7_message_logs l ON l.message_id = m.id WHERE m.control_id = ? GROUP BY m.id`,
          [controlId],
        )
      )[0][0]!;

    it('checks a T message of an interface that takes T: AA with a note, logged, nothing stored; a resend is a duplicate', async () => {
      const ack = await send(production, adt('CERTLAB', 'T-1', 'MRN-T1', 'T'));
      assert.equal(ack.get('MSA-1'), 'AA', ack.get('ERR-8'));
      assert.equal(ack.get('ERR-4'), 'I');
      assert.match(ack.get('ERR-8'), /training message \(MSH-11 T\) checked, not stored: mapped to \d+ resources/);
      assert.equal(await stored('MRN-T1'), 0, 'no training patient in the production store');
      const row = await logged('T-1');
      assert.deepEqual([row.status, row.ack_code, row.processing_id], ['processed', 'AA', 'T']);
      assert.deepEqual(row.fhir_resources, [], 'no resources written');
      assert.match(row.log_lines, /checked, not stored/);
      const again = await send(production, adt('CERTLAB', 'T-1', 'MRN-T1', 'T'));
      assert.equal(again.get('MSA-1'), 'AA');
      assert.equal(await stored('MRN-T1'), 0);
    });

    it('answers a T message with a content error AE as P would be (a visit number of another patient), storing nothing', async () => {
      assert.equal((await send(production, adt('CERTLAB', 'P-0', 'MRN-A', 'P', 'V-9'))).get('MSA-1'), 'AA');
      const ack = await send(production, adt('CERTLAB', 'T-2', 'MRN-T2', 'T', 'V-9'));
      assert.deepEqual([ack.get('MSA-1'), ack.get('ERR-3.1')], ['AE', '205']);
      assert.equal(await stored('MRN-T2'), 0);
      assert.equal((await logged('T-2')).status, 'failed');
    });

    it('refuses (AR 202) T from an interface without the setting, D from one that takes P and T; stores P from both', async () => {
      const t = await send(production, adt('PHARM', 'PH-1', 'MRN-PH1', 'T'));
      assert.deepEqual([t.get('MSA-1'), t.get('ERR-3.1')], ['AR', '202']);
      assert.match(t.get('ERR-8'), /processing id T \(training\/test\) is not accepted here: this interface takes P/);
      const d = await send(production, adt('CERTLAB', 'D-1', 'MRN-D1', 'D'));
      assert.deepEqual([d.get('MSA-1'), d.get('ERR-3.1')], ['AR', '202']);
      assert.match(d.get('ERR-8'), /takes P, T/);
      assert.equal((await logged('D-1')).status, 'rejected');
      assert.equal(await stored('MRN-PH1'), 0);
      assert.equal(await stored('MRN-D1'), 0);
      assert.equal((await send(production, adt('CERTLAB', 'P-1', 'MRN-P1', 'P'))).get('MSA-1'), 'AA');
      assert.equal((await send(production, adt('PHARM', 'P-2', 'MRN-P2', 'P'))).get('MSA-1'), 'AA');
      assert.equal(await stored('MRN-P1'), 1);
      assert.equal(await stored('MRN-P2'), 1);
    });

    it('on a test server (HL7_PROCESSING_IDS=P,T,D) stores T and D; an interface setting still narrows it', async () => {
      assert.equal((await send(testServer, adt('PHARM', 'TS-1', 'MRN-TS1', 'T'))).get('MSA-1'), 'AA');
      assert.equal((await send(testServer, adt('OTHER', 'TS-2', 'MRN-TS2', 'D'))).get('MSA-1'), 'AA');
      assert.equal(await stored('MRN-TS1'), 1);
      assert.equal(await stored('MRN-TS2'), 1);
      const d = await send(testServer, adt('CERTLAB', 'TS-3', 'MRN-TS3', 'D'));
      assert.equal(d.get('MSA-1'), 'AR');
    });
  },
);
