/**
 * An in-memory AdminApi for the console's own tests (a test double of our interface, not of a database):
 * a few HL7 messages (one failed), two projections (one with a dead letter). Replaying a failed message
 * marks it processed with an AA acknowledgement; retrying a dead letter removes it.
 */
import { fhirError, notFound } from '../../fhir/errors.js';
import type { AdminApi, DeadLetter, Hl7MessageDetail, Hl7MessageSummary, ProjectionStatus } from '../admin-api.js';

const ADT = [
  'MSH|^~\\&|ADT1|NILE_HOSP|NILECARE|NILECARE|20240101120000||ADT^A01^ADT_A01|MSG0001|P|2.5',
  'EVN|A01|20240101120000',
  'PID|1||MRN12345^^^NILE^MR||Osman^Amira^^^^^L||19850214|F|||12 Nile St^^Khartoum^^11111^SD',
  'PV1|1|I|WARD1^101^A|||||||MED',
].join('\r');
const ORU = [
  'MSH|^~\\&|LAB|NILE_LAB|NILECARE|NILECARE|20240102083000||ORU^R01^ORU_R01|LAB0042|P|2.5',
  'PID|1||MRN12345^^^NILE^MR||Osman^Amira',
  'OBR|1||ORD77|2345-7^Glucose^LN',
  'OBX|1|NM|2345-7^Glucose^LN||not-a-number|mg/dL|70-99|H|||F',
].join('\r');

const ack = (controlId: string, code: string, text = '') =>
  [
    `MSH|^~\\&|NILECARE|NILECARE|X|X|20240102083001||ACK|ACK-${controlId}|P|2.5`,
    `MSA|${code}|${controlId}${text ? `|${text}` : ''}`,
  ].join('\r');

function message(id: string, raw: string, over: Partial<Hl7MessageDetail>): Hl7MessageDetail {
  const msh = raw.split('\r')[0]!.split('|');
  const type = (msh[8] ?? '').split('^').slice(0, 2).join('^');
  return {
    id,
    direction: 'inbound',
    type,
    controlId: msh[9] ?? null,
    sender: `${msh[2]}|${msh[3]}`,
    status: 'processed',
    ackCode: 'AA',
    patientIdentifier: 'MRN12345',
    receivedAt: '2024-01-02T08:30:00.000Z',
    processedAt: '2024-01-02T08:30:00.120Z',
    error: null,
    raw,
    ack: ack(msh[9] ?? '', 'AA'),
    errorDetail: null,
    fhirResources: [],
    logs: [],
    queue: [],
    ...over,
  };
}

export interface FakeAdminApi extends AdminApi {
  readonly replays: string[];
  readonly retries: Array<{ projection: string; id: string }>;
}

export function fakeAdminApi(): FakeAdminApi {
  const messages: Hl7MessageDetail[] = [
    message('6f1c0a52-0000-4000-8000-000000000001', ADT, {
      receivedAt: '2024-01-01T12:00:00.000Z',
      processedAt: '2024-01-01T12:00:00.080Z',
      fhirResources: ['Patient/p1/_history/1', 'Encounter/e1/_history/1'],
    }),
    message('6f1c0a52-0000-4000-8000-000000000002', ORU, {
      status: 'failed',
      ackCode: 'AE',
      processedAt: '2024-01-02T08:30:00.200Z',
      ack: ack('LAB0042', 'AE', 'OBX-5 is not a number'),
      error: 'OBX-5: "not-a-number" is not a valid NM value',
      errorDetail: 'OBX-5: "not-a-number" is not a valid NM value\nsegment 4 (OBX), field 5',
      logs: [
        { at: '2024-01-02T08:30:00.010Z', level: 'info', stage: 'parse', message: 'parsed 4 segments' },
        {
          at: '2024-01-02T08:30:00.190Z',
          level: 'error',
          stage: 'map',
          message: 'OBX-5: "not-a-number" is not a valid NM value',
        },
      ],
    }),
  ];
  const projections: ProjectionStatus[] = [
    { name: 'billing', lagSeq: 0, lagSeconds: 0, deadLetters: 1 },
    { name: 'lab', lagSeq: 12, lagSeconds: 3.5, deadLetters: 0 },
  ];
  const dead = new Map<string, DeadLetter[]>([
    [
      'billing',
      [
        {
          id: 'Claim/c9',
          resource: 'Claim/c9',
          version: 2,
          error: 'Duplicate entry for key fhir_id',
          attempts: 5,
          lastAttempt: '2024-01-02T09:00:00.000Z',
        },
      ],
    ],
    ['lab', []],
  ]);
  const replays: string[] = [];
  const retries: Array<{ projection: string; id: string }> = [];
  const summary = (m: Hl7MessageDetail): Hl7MessageSummary => {
    const { raw: _r, ack: _a, errorDetail: _e, fhirResources: _f, logs: _l, queue: _q, ...rest } = m;
    return rest;
  };

  const notHere = async (): Promise<never> => {
    throw fhirError(503, 'not-supported', 'Not in the fake admin API (see server-admin-api.int.test.ts)');
  };
  return {
    replays,
    retries,
    users: notHere,
    addUser: notHere,
    changeUser: notHere,
    clients: notHere,
    registerClient: notHere,
    revokeClient: notHere,
    hl7Endpoints: notHere,
    addHl7Endpoint: notHere,
    setHl7EndpointActive: notHere,
    setHl7EndpointSettings: notHere,
    createLaunch: notHere,
    removeHl7Endpoint: notHere,
    async health() {
      return [
        { component: 'store', ok: true, detail: 'PGlite (embedded)' },
        { component: 'MySQL', ok: true, detail: '10.11 at 127.0.0.1:3306' },
        { component: 'PostgreSQL', ok: true, detail: '15 at 127.0.0.1:5432' },
        { component: 'Redis', ok: true, detail: '7 at 127.0.0.1:6379' },
        { component: 'MLLP listener', ok: false, detail: 'not listening on port 2575' },
      ];
    },
    async hl7Messages(f) {
      return messages
        .filter((m) => !f.type || m.type === f.type || m.type.startsWith(`${f.type}^`))
        .filter((m) => !f.sender || m.sender.startsWith(f.sender))
        .filter((m) => !f.status || m.status === f.status)
        .filter((m) => !f.before || m.receivedAt < f.before)
        .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt))
        .slice(0, f.limit)
        .map(summary);
    },
    async hl7Message(id) {
      const m = messages.find((x) => x.id === id);
      return m ? structuredClone(m) : undefined;
    },
    async replayHl7Message(id) {
      const m = messages.find((x) => x.id === id);
      if (!m) throw notFound(`HL7 message ${id} not found`);
      replays.push(id);
      m.status = 'processed';
      m.ackCode = 'AA';
      m.ack = ack(m.controlId ?? '', 'AA');
      m.error = null;
      m.errorDetail = null;
      m.logs.push({
        at: new Date().toISOString(),
        level: 'info',
        stage: 'retry',
        message: 'replayed from the console',
      });
      return { status: m.status, ack: m.ack };
    },
    async subscriptions() {
      return [];
    },
    async projections() {
      return projections.map((p) => ({ ...p, deadLetters: dead.get(p.name)?.length ?? 0 }));
    },
    async deadLetters(name) {
      const list = dead.get(name);
      if (!list) throw notFound(`Projection ${name} not found`);
      return list.map((d) => ({ ...d }));
    },
    async retryDeadLetter(name, id) {
      const list = dead.get(name);
      const i = list?.findIndex((d) => d.id === id) ?? -1;
      if (!list || i < 0) throw notFound(`Dead letter ${id} of ${name} not found`);
      list.splice(i, 1);
      retries.push({ projection: name, id });
      return { delivered: true };
    },
  };
}
