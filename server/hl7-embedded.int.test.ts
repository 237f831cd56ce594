/**
 * startHl7 with no INTEROP_MYSQL_URL: the HL7 v2 message log lives in the store's own PGlite (schema
 * nilecare_interop, server/state). Messages are ACKed AA after their FHIR commit, duplicates are answered from the log,
 * fhir_mappings rows of the embedded schema apply, and the console lists and shows the messages from there; no MySQL
 * is involved (offline-start.int.test.ts runs the same with no network at all).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { loadConfig } from './config.js';
import { startTestServer, type TestServer } from './testing/test-server.js';
import { openPgliteTestStore } from './store/postgres/testing/pglite-template.js';
import type { ResourceStore } from './store/resource-store.js';
import { startHl7, type Hl7Runtime } from './hl7-wiring.js';
import { sendOnce } from '../adapters/hl7v2/mllp/mllp-client.js';
import type { Hl7MessageDetail, Hl7MessageSummary } from './console/admin-api.js';
import { FakePeer } from '../adapters/hl7v2/outbound/testing/fake-peer.js';

const adt = (controlId: string, mrn: string, sex = 'F') =>
  `MSH|^~\\&|REG|KTH|NILE|NC|20260301120000||ADT^A04^ADT_A01|${controlId}|P|2.5.1\rEVN|A04|20260301120000\r` +
  `PID|1||${mrn}^^^KTH^MR||Embedded^Amna||19800101|${sex}\rPV1|1|O`;

describe('HL7 v2 on the embedded message log (no INTEROP_MYSQL_URL)', () => {
  let store: ResourceStore;
  let server: TestServer;
  let hl7: Hl7Runtime | undefined;
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const env = { MLLP_PORT: '0', NILECARE_AUTH: 'disabled', LOG_LEVEL: 'silent', INTEROP_MYSQL_URL: '' };
  const send = (text: string) => sendOnce({ host: '127.0.0.1', port: hl7!.server.port, timeoutMs: 30_000 }, text);
  const api = async (path: string) => {
    const res = await fetch(`${new URL(server.baseUrl).origin}/console/api/${path}`);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  before(async () => {
    store = await openPgliteTestStore();
    server = await startTestServer(store, { env });
    hl7 = await startHl7(loadConfig(env), server.app, logger, {});
    assert.ok(hl7);
    server.app.attachRuntime({ hl7 });
  });
  const peer = new FakePeer();
  after(async () => {
    await peer.stop();
    await hl7?.close();
    await server?.close();
    await store?.close();
  });

  it('answers AA after the commit, keeps the message in nilecare_interop and answers a resend from the log', async () => {
    assert.equal(hl7!.where, 'embedded');
    assert.match(await send(adt('EMB-1', 'EMB-MRN-1')), /MSA\|AA\|EMB-1/);
    const found = await server.fhir('Patient?identifier=EMB-MRN-1');
    assert.equal(found.body.entry?.length, 1);
    // The same message again: a duplicate, answered AA from the log; nothing new is written.
    assert.match(await send(adt('EMB-1', 'EMB-MRN-1')), /MSA\|AA\|EMB-1/);
    // Same control id, other content: refused, and the first message stays the one on record.
    assert.match(await send(adt('EMB-1', 'EMB-MRN-OTHER')), /MSA\|A[ER]\|EMB-1/);
    assert.equal((await server.fhir('Patient?identifier=EMB-MRN-OTHER')).body.entry?.length ?? 0, 0);
    const { db } = await server.app.state.embeddedInteropDb();
    const { rows } = await db.query(
      "SELECT status, ack_code FROM hl7_messages WHERE control_id = 'EMB-1' ORDER BY received_at",
    );
    assert.deepEqual(
      rows.map((r) => [r.status, r.ack_code]),
      [
        ['processed', 'AA'],
        ['duplicate', rows[1]!.ack_code],
      ],
    );
  });

  it('applies a code-table row of the embedded fhir_mappings without a restart', async () => {
    const { db } = await server.app.state.embeddedInteropDb();
    await db.query(
      "INSERT INTO fhir_mappings (name, direction, message_type, code_map) VALUES ('AdministrativeSex', 'hl7_to_fhir', 'ADT', ?::jsonb)",
      [JSON.stringify({ F: 'other' })],
    );
    // the mapping cache compares the table's version before each message
    let gender: unknown;
    for (let i = 0; i < 40 && gender !== 'other'; i++) {
      assert.match(await send(adt(`EMB-MAP-${i}`, `EMB-MRN-MAP-${i}`)), /MSA\|AA/);
      gender = (await server.fhir(`Patient?identifier=EMB-MRN-MAP-${i}`)).body.entry?.[0]?.resource?.gender;
      if (gender !== 'other') await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(gender, 'other');
  });

  it('lists and shows the messages in the console from the embedded log', async () => {
    const list = await api('hl7/messages?limit=50');
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const rows = list.body as Hl7MessageSummary[];
    const first = rows.find((m) => m.controlId === 'EMB-1' && m.status === 'processed');
    assert.ok(first, JSON.stringify(rows));
    assert.match(first.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const bySender = (await api('hl7/messages?limit=50&sender=REG%7CK')).body as Hl7MessageSummary[];
    assert.ok(bySender.length >= 3 && bySender.every((m) => m.sender === 'REG|KTH'));
    const detail = (await api(`hl7/messages/${first.id}`)).body as Hl7MessageDetail;
    assert.match(detail.raw, /EMB-MRN-1/);
    assert.ok(detail.fhirResources.some((r) => r.startsWith('Patient/')));
    assert.ok(detail.logs.some((l) => l.stage === 'transaction'));
    // keyset paging on received_at (UTC texts compared with TIMESTAMPTZ): the page after the newest holds the rest
    const next = (
      await api(`hl7/messages?limit=50&before=${encodeURIComponent(rows[0]!.receivedAt)}&beforeId=${rows[0]!.id}`)
    ).body as Hl7MessageSummary[];
    assert.equal(next.length, rows.length - 1);
  });

  it('delivers FHIR changes to an outbound endpoint of the embedded interface_configs, once, in order', async () => {
    await peer.start(0);
    const { db } = await server.app.state.embeddedInteropDb();
    await db.query(
      `INSERT INTO interface_configs (name, direction, protocol, host, port, receiving_application, retry_backoff_ms, timeout_ms)
       VALUES ('lab-system', 'outbound', 'mllp', '127.0.0.1', ?, 'LAB', 50, 2000)`,
      [peer.listeningPort],
    );
    // HL7_OUTBOUND unset: on, because interface_configs now has an active outbound endpoint
    await hl7!.close();
    hl7 = await startHl7(loadConfig(env), server.app, logger, {});
    assert.ok(hl7?.outbound, 'outbound running on the embedded log');
    server.app.attachRuntime({ hl7 });
    const patient = await server.fhir('Patient', {
      method: 'POST',
      body: {
        resourceType: 'Patient',
        identifier: [{ system: 'urn:emb', value: 'EMB-OUT-1' }],
        name: [{ family: 'Out' }],
      },
    });
    assert.equal(patient.status, 201);
    const update = await server.fhir(`Patient/${patient.body.id}`, {
      method: 'PUT',
      body: { ...patient.body, name: [{ family: 'Out', given: ['Again'] }] },
    });
    assert.equal(update.status, 200);
    for (let i = 0; i < 400 && peer.accepted().filter((r) => r.mrn.startsWith('EMB-OUT-1')).length < 2; i++)
      await new Promise((r) => setTimeout(r, 50));
    const got = peer.accepted().filter((r) => r.mrn.startsWith('EMB-OUT-1'));
    assert.equal(got.length, 2, JSON.stringify(got.map((r) => r.type)));
    assert.ok(got[1]!.raw.includes('Again'), 'the update after the create');
    let status = await hl7.outbound.status();
    for (let i = 0; i < 100 && (status.pending > 0 || status.lagChanges > 0); i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await hl7.outbound.status();
    }
    assert.deepEqual([status.pending, status.dead, status.lagChanges], [0, 0, 0]);
    const { rows } = await db.query(
      "SELECT status, ack_code FROM hl7_messages WHERE direction = 'outbound' AND source_resource = ? ORDER BY source_seq",
      [`Patient/${String(patient.body.id)}`],
    );
    assert.deepEqual(
      rows.map((r) => [r.status, r.ack_code]),
      [
        ['acknowledged', 'AA'],
        ['acknowledged', 'AA'],
      ],
    );
    const projections = await api('projections');
    assert.ok(JSON.stringify(projections.body).includes('hl7-outbound'), JSON.stringify(projections.body));
  });
});
