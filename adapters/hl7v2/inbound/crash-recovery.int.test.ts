/**
 * Exactly once across kill -9 (issue 16, done-when): the real server process (`npm start`: FHIR store on PostgreSQL,
 * message log on MariaDB) takes ADT^A01 + ORU^R01 messages over real MLLP on several connections; it is killed with
 * SIGKILL twice while messages are in flight, restarted, and every message is sent again. Every message then ends
 * applied exactly once: AA, one log row `processed` with its resources, none left `processing`, one Provenance per
 * message written once (a second application would write it again: version 2), one Patient, one Encounter and three
 * Observations per patient.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { createTestDatabase as createLogDatabase, type TestDatabase } from '../../../server/migrate/test-databases.js';
import { createTestDatabase as createStoreDatabase } from '../../../server/store/postgres/test-stores.js';
import { mysqlMissing } from '../../../server/testing/mysql-missing.js';
import {
  freePort,
  killStartedServers,
  startServerProcess,
  waitReady,
  type ServerProcess,
} from '../../../server/testing/server-process.js';
import { MllpClient } from '../mllp/mllp-client.js';
import { parseMessage } from '../parser/parse-message.js';
import { markerId } from './applied-marker.js';

const PATIENTS = 32;
const CONNECTIONS = 8;

/** Two messages per patient, sent in order on the patient's connection. */
function messagesOf(p: number): { controlId: string; text: string }[] {
  const mrn = `CR-${p}`;
  const at = `2026030112${String(p % 60).padStart(2, '0')}00`;
  const pid = `PID|1||${mrn}^^^KTH^MR||Crash^Patient${p}||19800101|F`;
  const pv1 = `PV1|1|I|W1^${p}^1||||||||||||||||V-${mrn}|||||||||||||||||||||||||${at}`;
  const msh = (type: string, id: string) => `MSH|^~\\&|LAB|KTH|NILE|NC|${at}||${type}|${id}|P|2.5.1`;
  return [
    { controlId: `A-${p}`, text: [msh('ADT^A01', `A-${p}`), `EVN|A01|${at}`, pid, pv1].join('\r') },
    {
      controlId: `O-${p}`,
      text: [
        msh('ORU^R01', `O-${p}`),
        pid,
        pv1,
        `ORC|RE|ORD-${p}|FIL-${p}`,
        `OBR|1|ORD-${p}|FIL-${p}|24323-8^Metabolic panel^LN|||${at}`,
        `OBX|1|NM|2345-7^Glucose^LN||${5 + (p % 5)}|mmol/L|3.9-6.1||||F|||${at}`,
        `OBX|2|NM|2951-2^Sodium^LN||140|mmol/L|135-145||||F|||${at}`,
        `OBX|3|NM|2823-3^Potassium^LN||4.${p % 10}|mmol/L|3.5-5.1||||F|||${at}`,
      ].join('\r'),
    },
  ];
}

const all = Array.from({ length: PATIENTS }, (_, p) => messagesOf(p));

describe(
  'kill -9 with HL7 messages in flight: every message applied exactly once',
  { skip: await mysqlMissing() },
  () => {
    let store: { url: string; drop: () => Promise<void> };
    let logDb: TestDatabase;
    let sql: mysql.Connection;
    const dataDir = mkdtempSync(join(tmpdir(), 'nilecare-crash-'));

    before(async () => {
      store = await createStoreDatabase();
      logDb = await createLogDatabase('mysql', 'nilecare_interop');
    });
    after(async () => {
      killStartedServers();
      await sql?.end();
      await logDb?.drop();
      await store?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    async function start(): Promise<{ server: ServerProcess; base: string; mllpPort: number }> {
      const [port, mllpPort] = [await freePort(), await freePort()];
      const server = startServerProcess({
        PORT: String(port),
        MLLP_PORT: String(mllpPort),
        NILECARE_STORE: 'postgres',
        DATABASE_URL: store.url,
        INTEROP_MYSQL_URL: logDb.url,
        NILECARE_AUTH: 'disabled',
        HL7_OUTBOUND: 'off',
        HL7_NODE_ID: 'crash-test-node', // one node restarted: rows held by its earlier boot are recovered at start
        EXPORT_DIR: join(dataDir, 'exports'),
      });
      const base = `http://127.0.0.1:${port}`;
      await waitReady(base, server);
      return { server, base, mllpPort };
    }

    /**
     * Sends every message (each connection its patients, in order). With `killAfter`, the server is killed with
     * SIGKILL once that many ACKs came back; messages not answered by then fail with a closed connection.
     */
    async function sendAll(
      s: { server: ServerProcess; mllpPort: number },
      killAfter?: number,
    ): Promise<{ acks: Map<string, string>; unanswered: number }> {
      const acks = new Map<string, string>();
      let unanswered = 0;
      let killed = false;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async (_, c) => {
          const client = new MllpClient({ host: '127.0.0.1', port: s.mllpPort, timeoutMs: 120_000 });
          try {
            for (let p = c; p < PATIENTS; p += CONNECTIONS) {
              for (const m of all[p]!) {
                if (killed) {
                  unanswered++;
                  continue;
                }
                try {
                  acks.set(m.controlId, await connectAndSend(client, m.text));
                } catch (err) {
                  if (!killed) throw err;
                  unanswered++;
                  continue;
                }
                if (killAfter !== undefined && acks.size >= killAfter && !killed) {
                  killed = true;
                  s.server.child.kill('SIGKILL');
                }
              }
            }
          } finally {
            await client.close();
          }
        }),
      );
      if (killed) await s.server.exited;
      return { acks, unanswered };
    }

    /** The listener starts a moment after /readyz: connection refusals are retried for a while. */
    async function connectAndSend(client: MllpClient, text: string): Promise<string> {
      for (let i = 0; ; i++) {
        try {
          await client.connect();
          break;
        } catch (err) {
          if (i > 300) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return client.send(text);
    }

    const statuses = async () =>
      Object.fromEntries(
        (
          (await sql.query(
            "SELECT status, COUNT(*) AS n FROM hl7_messages WHERE direction = 'inbound' GROUP BY status",
          )) as unknown as [Array<{ status: string; n: number }>]
        )[0].map((r) => [r.status, Number(r.n)]),
      );

    it('survives two crashes mid-flight; the resends leave each message applied once', async (t) => {
      const total = all.flat().length;
      // Two crashes at different points: some messages answered, some in flight (their rows `processing`).
      for (const killAfter of [Math.floor(total / 5), Math.floor(total / 2)]) {
        const s = await start();
        const run = await sendAll(s, killAfter);
        assert.ok(run.unanswered > 0, 'messages were still unanswered when the server was killed');
        sql ??= await mysql.createConnection({ uri: logDb.url, dateStrings: true });
        const left = await statuses();
        assert.ok((left.processing ?? 0) > 0, `a crash mid-flight leaves rows processing: ${JSON.stringify(left)}`);
        for (const [id, ack] of run.acks) assert.equal(parseMessage(ack).get('MSA-1'), 'AA', `${id} before the crash`);
      }

      const s = await start();
      const final = await sendAll(s);
      assert.equal(final.acks.size, total);
      for (const [id, ack] of final.acks) {
        const parsed = parseMessage(ack);
        assert.equal(parsed.get('MSA-1'), 'AA', `${id}: ${parsed.get('MSA-3') ?? ''} ${parsed.get('ERR-8') ?? ''}`);
        assert.equal(parsed.get('MSA-2'), id);
      }

      // The log: one row per message, all processed with what they wrote; nothing left processing, no duplicates.
      assert.deepEqual(await statuses(), { processed: total });
      const [rows] = (await sql.query(
        "SELECT id, control_id AS controlId, ack_code AS ack, fhir_resources AS resources FROM hl7_messages WHERE direction = 'inbound'",
      )) as unknown as [Array<{ id: number | string; controlId: string; ack: string; resources: unknown }>];
      assert.equal(new Set(rows.map((r) => r.controlId)).size, total, 'one log row per control id');
      for (const r of rows) {
        assert.equal(r.ack, 'AA', r.controlId);
        const resources = typeof r.resources === 'string' ? (JSON.parse(r.resources) as string[]) : r.resources;
        assert.ok(Array.isArray(resources) && resources.length > 0, `${r.controlId} lists the resources it wrote`);
      }

      // Its history says so too: each message committed once, either in the run that answered it or found committed
      // by the recovery after a crash (nothing written again).
      const [lines] = (await sql.query(
        `SELECT m.control_id AS controlId, l.message FROM hl7_message_logs l JOIN hl7_messages m ON m.id = l.message_id
        WHERE l.stage = 'transaction'`,
      )) as unknown as [Array<{ controlId: string; message: string }>];
      const commits = new Map<string, number>();
      let recovered = 0;
      for (const l of lines) {
        if (/^committed |had committed before a crash/.test(l.message))
          commits.set(l.controlId, (commits.get(l.controlId) ?? 0) + 1);
        if (/^recovered:/.test(l.message)) recovered++;
      }
      for (const r of rows) assert.equal(commits.get(r.controlId), 1, `${r.controlId}: one commit in its log`);
      assert.ok(recovered > 0, 'messages left processing by the crashes were recovered');
      t.diagnostic(`${recovered} messages recovered after the two crashes`);

      // The FHIR store: each message's transaction committed once.
      const fhir = async (path: string) => {
        const res = await fetch(`${s.base}/fhir/${path}`);
        assert.equal(res.status, 200, `${path}: ${res.status}`);
        return await res.json();
      };
      assert.equal((await fhir('Provenance?_summary=count')).total, total, 'one Provenance per message, no more');
      for (const r of rows) {
        const provenance = await fhir(`Provenance/${markerId(String(r.id))}`);
        assert.equal(provenance.meta.versionId, '1', `${r.controlId} was applied once (its Provenance written once)`);
      }
      for (let p = 0; p < PATIENTS; p++) {
        const patients = await fhir(`Patient?identifier=CR-${p}`);
        assert.equal(patients.entry?.length, 1, `CR-${p}: one Patient`);
        const patient = patients.entry[0].resource;
        assert.equal((await fhir(`Encounter?identifier=V-CR-${p}`)).entry?.length, 1, `CR-${p}: one Encounter`);
        const observations = await fhir(`Observation?subject=Patient/${patient.id}&_count=50`);
        assert.equal(observations.entry?.length, 3, `CR-${p}: three Observations`);
      }
      assert.equal((await fhir('Observation?_summary=count')).total, PATIENTS * 3);
      assert.equal((await fhir('Patient?_summary=count')).total, PATIENTS);
      s.server.child.kill('SIGTERM');
      await s.server.exited;
    });
  },
);
