/**
 * The console's admin API on the real server composition, through HTTP (/console/api, NILECARE_AUTH=disabled so
 * the API is open): the app on PGlite, the HL7 listener of server/hl7-wiring.ts on a throw-away nilecare_interop
 * (MariaDB), real dispatchers into throw-away projection targets (MariaDB, PostgreSQL). Messages are sent over
 * MLLP; a failure is caused by the FHIR store (two patients share the identifier an ADT^A08 updates by), fixed,
 * and the message replayed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { pino } from 'pino';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { createTestDatabase, type TestDatabase } from '../../migrate/testing/test-databases.js';
import { loadConfig } from '../../config.js';
import { startHl7, type Hl7Runtime } from '../../hl7-wiring.js';
import { MllpClient } from '../../../adapters/hl7v2/mllp/mllp-client.js';
import { startProjections, type RunningProjections } from '../../../adapters/outbox/start-projections.js';
import { createTestTargets, type TestTargets } from '../../../adapters/outbox/testing/target-databases.js';
import { FakePeer } from '../../../adapters/hl7v2/outbound/testing/fake-peer.js';
import { migrateDatabase } from '../../migrate/migrate.js';
import type { Hl7MessageDetail, Hl7MessageSummary } from '../admin-api.js';
import { mysqlMissing } from '../../testing/mysql-missing.js';

const adt = (event: 'A01' | 'A08', controlId: string, mrn: string, sender = 'ADT1|NILE_HOSP', name = 'Osman^Amira') =>
  [
    `MSH|^~\\&|${sender}|NILECARE|NILECARE|20260301120000||ADT^${event}|${controlId}|P|2.5.1`,
    `PID|1||${mrn}^^^NILE^MR||${name}||19850214|F`,
    'PV1|1|O',
  ].join('\r');
const badOru = (controlId: string) =>
  [
    `MSH|^~\\&|LAB|NILE_LAB|NILECARE|NILECARE|20260302083000||ORU^R01|${controlId}|P|2.5.1`,
    'PID|1||MRN-ORU^^^NILE^MR||Osman^Amira',
    'OBR|1||ORD77|2345-7^Glucose^LN',
    'OBX|1|NM|2345-7^Glucose^LN||not-a-number|mg/dL|70-99|H|||F',
  ].join('\r');

describe(
  'console admin API on the real server (HL7 log, replay, projections, health)',
  { skip: await mysqlMissing(), timeout: 180_000 },
  () => {
    let server: TestServer;
    let dispose: () => Promise<void>;
    let interop: TestDatabase;
    let hl7: Hl7Runtime | undefined;
    let client: MllpClient;
    let targets: TestTargets;
    let projections: RunningProjections;
    const lis = new FakePeer();

    const api = async (path: string, method = 'GET') => {
      const res = await fetch(`${new URL(server.baseUrl).origin}/console/api/${path}`, { method });
      return { status: res.status, body: await res.json() };
    };
    const list = async (query: string): Promise<Hl7MessageSummary[]> => {
      const r = await api(`hl7/messages?${query}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    const byControlId = async (controlId: string): Promise<Hl7MessageDetail> => {
      const [m] = (await list('limit=500')).filter((x) => x.controlId === controlId);
      assert.ok(m, `message ${controlId} is listed`);
      return (await api(`hl7/messages/${m.id}`)).body;
    };
    const msa = async (text: string) => /MSA\|(\w\w)/.exec(await client.send(text))?.[1];

    before(async () => {
      interop = await createTestDatabase('mysql', 'nilecare_interop');
      // An outbound endpoint (ORU^R01 only) that refuses everything at first: HL7 outbound delivery starts with the
      // listener (an active outbound endpoint exists) and its dead letters show on the projections page.
      await migrateDatabase({ engine: 'mysql', database: 'nilecare_interop', connection: { url: interop.url } });
      await lis.start(0);
      lis.answer = () => 'AR';
      const setup = await mysql.createConnection(interop.url);
      await setup.query(
        `INSERT INTO interface_configs (id, name, direction, protocol, host, port, message_types, max_retries, retry_backoff_ms, timeout_ms)
       VALUES ('ep-lis', 'lis', 'outbound', 'mllp', '127.0.0.1', ?, '["ORU^R01"]', 1, 20, 2000)`,
        [lis.listeningPort],
      );
      await setup.end();
      const opened = await pgliteTestStore();
      dispose = opened.dispose;
      const env = { INTEROP_MYSQL_URL: interop.url, MLLP_PORT: '0' };
      server = await startTestServer(opened.store, { env });
      hl7 = await startHl7(
        loadConfig({ NILECARE_AUTH: 'disabled', BASE_URL: server.baseUrl, ...env }),
        server.app,
        pino({ level: 'silent' }),
      );
      assert.ok(hl7);
      targets = await createTestTargets();
      projections = await startProjections({
        store: opened.store,
        targets: targets.targets,
        pollIntervalMs: 20,
        maxAttempts: 1,
      });
      server.app.attachRuntime({ hl7, projections, projectionTargets: targets.targets });
      client = new MllpClient({ host: '127.0.0.1', port: hl7.server.port, timeoutMs: 60_000 });
    });
    after(async () => {
      await client?.close();
      await projections?.stop();
      await hl7?.close();
      await lis.stop();
      await server?.close();
      await server?.app.store.close();
      await dispose?.();
      await targets?.drop();
      await interop?.drop();
    });

    it('lists messages newest first, filters by type, sender and status, and pages without gaps or repeats', async () => {
      assert.equal(await msa(adt('A01', 'F-1', 'MRN-F1')), 'AA');
      assert.equal(await msa(adt('A08', 'F-2', 'MRN-F1')), 'AA');
      assert.equal(await msa(adt('A01', 'F-3', 'MRN-F3', 'REG|CLINIC_B')), 'AA');
      assert.equal(await msa(badOru('F-4')), 'AE');
      const all = await list('limit=500');
      assert.deepEqual(
        all.map((m) => m.controlId),
        ['F-4', 'F-3', 'F-2', 'F-1'],
      );
      const oru = all[0]!;
      assert.deepEqual(
        [oru.type, oru.sender, oru.status, oru.ackCode, oru.direction, oru.patientIdentifier],
        ['ORU^R01', 'LAB|NILE_LAB', 'failed', 'AE', 'inbound', 'MRN-ORU'],
      );
      assert.match(oru.error!, /OBX-5.*not a number/);
      assert.match(oru.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(
        Math.abs(Date.parse(oru.receivedAt) - Date.now()) < 120_000,
        `receivedAt ${oru.receivedAt} is UTC and recent`,
      );

      assert.deepEqual(
        (await list('type=ADT')).map((m) => m.controlId),
        ['F-3', 'F-2', 'F-1'],
      );
      assert.deepEqual(
        (await list('type=ADT%5EA08')).map((m) => m.controlId),
        ['F-2'],
      );
      assert.deepEqual(
        (await list('sender=REG')).map((m) => m.controlId),
        ['F-3'],
      );
      assert.deepEqual(
        (await list(`sender=${encodeURIComponent('ADT1|NILE_')}`)).map((m) => m.controlId),
        ['F-2', 'F-1'],
      );
      assert.deepEqual(
        (await list(`sender=${encodeURIComponent('ADT1|CLINIC')}`)).map((m) => m.controlId),
        [],
      );
      assert.deepEqual(
        (await list('sender=%25')).map((m) => m.controlId),
        [],
        'LIKE wildcards in the filter are literal',
      );
      assert.deepEqual(
        (await list('status=failed')).map((m) => m.controlId),
        ['F-4'],
      );

      // Keyset paging over pages of one: each message exactly once, in order.
      const seen: string[] = [];
      let page = await list('limit=1');
      while (page.length > 0) {
        seen.push(page[0]!.controlId!);
        page = await list(`limit=1&before=${encodeURIComponent(page[0]!.receivedAt)}&beforeId=${page[0]!.id}`);
      }
      assert.deepEqual(seen, ['F-4', 'F-3', 'F-2', 'F-1']);

      // Messages received in the same millisecond (a batch): none is skipped at a page boundary.
      const c = await mysql.createConnection(interop.url);
      try {
        await c.query(
          "UPDATE hl7_messages SET received_at = '2026-03-01 12:00:00.000' WHERE control_id IN ('F-1', 'F-2', 'F-3')",
        );
      } finally {
        await c.end();
      }
      const tied: string[] = [];
      for (
        let p = await list('limit=1&type=ADT');
        p.length > 0;
        p = await list(`limit=1&type=ADT&before=${encodeURIComponent(p[0]!.receivedAt)}&beforeId=${p[0]!.id}`)
      )
        tied.push(p[0]!.controlId!);
      assert.deepEqual(tied.sort(), ['F-1', 'F-2', 'F-3']);
    });

    it('shows a message with its raw text, ACK, FHIR resources written and processing log; 404 for an unknown id', async () => {
      const m = await byControlId('F-1');
      assert.equal(m.status, 'processed');
      assert.match(m.raw, /^MSH\|\^~\\&\|ADT1\|NILE_HOSP/);
      assert.equal(m.raw.split('\r').filter(Boolean).length, 3);
      assert.match(m.ack!, /MSA\|AA\|F-1/);
      assert.ok(
        m.fhirResources.some((r) => /^Patient\/[\w-]+\/_history\/1$/.test(r)),
        JSON.stringify(m.fhirResources),
      );
      assert.ok(m.logs.some((l) => l.stage === 'transaction' && l.level === 'info' && /committed/.test(l.message)));
      assert.deepEqual(m.queue, []);
      const failed = await byControlId('F-4');
      assert.match(failed.errorDetail!, /OBX-5/);
      // A content error is permanent: kept, not queued for automatic retries (issue 16).
      assert.equal(failed.queue.length, 0);
      assert.equal((await api('hl7/messages/00000000-0000-4000-8000-000000000000')).status, 404);
    });

    it('replays a message the FHIR store refused: still failing while the cause remains (AE), processed with AA once fixed', async () => {
      assert.equal(await msa(adt('A01', 'R-1', 'MRN-DUP')), 'AA');
      const first = (await server.fhir('/Patient?identifier=MRN-DUP')).body.entry[0].resource;
      // A second record with the same identifier: the A08's conditional update now matches two patients (412).
      const twin = await server.fhir('/Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', identifier: first.identifier, name: [{ family: 'Twin' }] },
      });
      assert.equal(twin.status, 201);
      // The A08 changes the name: an A08 repeating what is stored writes nothing (prepare/unchanged.ts).
      assert.equal(await msa(adt('A08', 'R-2', 'MRN-DUP', 'ADT1|NILE_HOSP', 'Osman^Amira^Hassan')), 'AE');
      const failed = await byControlId('R-2');
      assert.equal(failed.status, 'failed');
      assert.match(failed.errorDetail!, /FHIR 412/);
      assert.equal(failed.queue.length, 0, 'a permanent error is not queued for automatic retries');

      const again = await api(`hl7/messages/${failed.id}/replay`, 'POST');
      assert.equal(again.status, 200);
      assert.deepEqual([again.body.status, again.body.ackCode], ['failed', 'AE']);
      assert.match(again.body.error, /412/);
      const afterFirst = (await api(`hl7/messages/${failed.id}`)).body as Hl7MessageDetail;
      assert.deepEqual(
        [afterFirst.queue.length, afterFirst.queue[0]!.status, afterFirst.queue[0]!.attempts],
        [1, 'failed', 1],
        'one queue item records the replay attempt; still permanent: no automatic retry',
      );

      assert.equal((await server.fhir(`/Patient/${twin.body.id}`, { method: 'DELETE' })).status, 204);
      const replayed = await api(`hl7/messages/${failed.id}/replay`, 'POST');
      assert.deepEqual([replayed.body.status, replayed.body.ackCode], ['processed', 'AA']);
      assert.match(replayed.body.ack, /MSA\|AA\|R-2/);
      const done = (await api(`hl7/messages/${failed.id}`)).body as Hl7MessageDetail;
      assert.deepEqual([done.status, done.ackCode, done.error], ['processed', 'AA', null]);
      assert.match(done.ack!, /MSA\|AA\|R-2/);
      assert.deepEqual(
        done.queue.map((q) => [q.status, q.attempts]),
        [
          ['failed', 1],
          ['completed', 1],
        ],
      );
      assert.ok(done.logs.some((l) => l.stage === 'retry' && /replay 1: AA/.test(l.message)));
      assert.ok(
        done.fhirResources.some((r) => r.startsWith(`Patient/${first.id}/_history/`)),
        'the original patient was updated',
      );
      const updated = (await server.fhir(`/Patient/${first.id}`)).body;
      assert.deepEqual(updated.name[0].given, ['Amira', 'Hassan'], "with the A08's name");

      const refused = await api(`hl7/messages/${failed.id}/replay`, 'POST');
      assert.equal(refused.status, 400, 'a processed message is not replayed');
      assert.match(refused.body.issue[0].diagnostics, /is processed/);
    });

    it('shows projection lag and a dead letter with its error; a retry fails while the cause remains; the fix lands it', async () => {
      const status = await api('projections');
      assert.deepEqual(status.body.map((p: { name: string }) => p.name).sort(), [
        'billing',
        'device',
        'hl7-outbound',
        'lab',
        'medication',
      ]);
      const mr = {
        resourceType: 'MedicationRequest',
        id: 'mr-console',
        status: 'active',
        intent: 'order',
        subject: { reference: 'Patient/p-console' },
        requester: { reference: 'Practitioner/dr-console' },
        medicationReference: { reference: 'Medication/med-console' },
        authoredOn: '2025-06-01',
      };
      assert.equal((await server.fhir('/MedicationRequest/mr-console', { method: 'PUT', body: mr })).status, 201);
      await projections.caughtUp(60_000);
      const medication = (await api('projections')).body.find((p: { name: string }) => p.name === 'medication');
      assert.deepEqual([medication.lagSeq, medication.deadLetters], [0, 1]);
      const dead = (await api('projections/medication/dead-letters')).body;
      assert.deepEqual(
        [dead[0].id, dead[0].resource, dead[0].version, dead[0].attempts, dead[0].nextAttemptAt],
        ['MedicationRequest/mr-console', 'MedicationRequest/mr-console', 1, 1, null],
      );
      assert.match(dead[0].error, /Medication\/med-console is not in the medication database/);

      const stillFailing = await api(
        `projections/medication/dead-letters/${encodeURIComponent('MedicationRequest/mr-console')}/retry`,
        'POST',
      );
      assert.deepEqual([stillFailing.status, stillFailing.body], [200, { delivered: false }]);
      assert.equal((await api('projections/medication/dead-letters')).body[0].attempts, 2);

      const med = {
        resourceType: 'Medication',
        id: 'med-console',
        status: 'active',
        code: {
          coding: [
            {
              system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
              code: '197361',
              display: 'Amlodipine 5 MG Oral Tablet',
            },
          ],
        },
      };
      assert.equal((await server.fhir('/Medication/med-console', { method: 'PUT', body: med })).status, 201);
      await projections.caughtUp(60_000);
      // The letter waited for that Medication: once it is applied, the letter is due at once and lands by itself
      // at the dispatcher's next retry round (4f9b2c8), with no console retry.
      for (let i = 0; i < 300 && (await api('projections/medication/dead-letters')).body.length > 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual((await api('projections/medication/dead-letters')).body, []);
      const c = await mysql.createConnection(targets.targets.medicationMysqlUrl);
      try {
        const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT fhir_id FROM prescriptions WHERE fhir_id = ?', [
          'mr-console',
        ]);
        assert.equal(rows.length, 1, 'the prescription row exists');
      } finally {
        await c.end();
      }
      assert.equal(
        (
          await api(
            `projections/medication/dead-letters/${encodeURIComponent('MedicationRequest/mr-console')}/retry`,
            'POST',
          )
        ).status,
        404,
      );
      assert.equal((await api('projections/nope/dead-letters')).status, 404);
    });

    it('shows HL7 outbound delivery as an outbox: a refused report is a dead letter with its error; retried, it is delivered', async () => {
      await server.fhir('/Patient/p-out', {
        method: 'PUT',
        body: {
          resourceType: 'Patient',
          id: 'p-out',
          identifier: [{ system: 'urn:oid:1.2.3', value: 'MRN-OUT' }],
          name: [{ family: 'Outbound' }],
        },
      });
      // the result and its report in one transaction: written apart, the worker may see the Observation first while no
      // report lists it, and send it as a standalone ORU of its own (a second dead letter)
      const both = await server.fhir('/', {
        method: 'POST',
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              request: { method: 'PUT', url: 'Observation/o-out' },
              resource: {
                resourceType: 'Observation',
                id: 'o-out',
                status: 'final',
                subject: { reference: 'Patient/p-out' },
                code: { coding: [{ system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin' }] },
                valueQuantity: { value: 13.1, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
              },
            },
            {
              request: { method: 'PUT', url: 'DiagnosticReport/r-out' },
              resource: {
                resourceType: 'DiagnosticReport',
                id: 'r-out',
                status: 'final',
                subject: { reference: 'Patient/p-out' },
                code: { coding: [{ system: 'http://loinc.org', code: '58410-2' }] },
                result: [{ reference: 'Observation/o-out' }],
              },
            },
          ],
        },
      });
      assert.equal(both.status, 200, both.text);
      let row: { deadLetters: number; lagSeq: number } | undefined;
      for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
        row = (await api('projections')).body.find((p: { name: string }) => p.name === 'hl7-outbound');
        if (row && row.deadLetters > 0) break;
      }
      assert.equal(row?.deadLetters, 1, JSON.stringify(row));
      const [dead] = (await api('projections/hl7-outbound/dead-letters')).body;
      assert.deepEqual([dead.resource, dead.attempts, dead.hl7Message], ['DiagnosticReport/r-out', 2, dead.id]);
      assert.match(dead.error, /AR/);
      const message = (await api(`hl7/messages/${dead.id}`)).body as Hl7MessageDetail;
      assert.deepEqual([message.direction, message.type, message.status], ['outbound', 'ORU^R01', 'error']);

      lis.answer = () => 'AA';
      const retried = await api(`projections/hl7-outbound/dead-letters/${dead.id}/retry`, 'POST');
      assert.deepEqual(retried.body, { delivered: false, requeued: true });
      let status = '';
      for (
        const until = Date.now() + 30_000;
        status !== 'acknowledged' && Date.now() < until;
        await new Promise((r) => setTimeout(r, 100))
      ) {
        status = ((await api(`hl7/messages/${dead.id}`)).body as Hl7MessageDetail).status;
      }
      assert.equal(status, 'acknowledged', 'delivered once put back in line');
      assert.equal(
        (await api('projections')).body.find((p: { name: string }) => p.name === 'hl7-outbound').deadLetters,
        0,
      );
      assert.equal((await api(`projections/hl7-outbound/dead-letters/${dead.id}/retry`, 'POST')).status, 404);
    });

    it('reports the health of each configured component, and an MLLP listener that stopped as down', async () => {
      const checks = (await api('health')).body as Array<{ component: string; ok: boolean; detail: string }>;
      const by = (c: string) => checks.filter((x) => x.component === c);
      assert.ok(
        checks.every((c) => c.ok),
        JSON.stringify(checks, null, 1),
      );
      assert.equal(by('store').length, 1);
      assert.equal(by('MySQL').length, 4, 'nilecare_interop and the three MySQL projection targets');
      assert.ok(by('MySQL').some((c) => c.detail.includes(interop.name)));
      assert.match(by('PostgreSQL')[0]!.detail, /nilecare_devices.*up \(PostgreSQL \d+/);
      assert.match(by('MLLP listener')[0]!.detail, /accepting connections/);
      assert.equal(by('Redis').length, 0, 'no Redis row: auth is disabled and there is no rate limit');
      assert.ok(
        checks.every((c) => !/root@|password/.test(c.detail)),
        'no credentials in the details',
      );

      await client.close();
      await hl7!.server.close();
      const after = (await api('health')).body as Array<{ component: string; ok: boolean; detail: string }>;
      const mllp = after.find((c) => c.component === 'MLLP listener')!;
      assert.equal(mllp.ok, false);
      assert.match(mllp.detail, /refused/);
    });
  },
);
