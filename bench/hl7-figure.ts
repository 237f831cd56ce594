/**
 * HL7 ORU^R01 messages per second over MLLP with the ACK after the FHIR commit, to the server's own listener
 * (MLLP_PORT): copies of the corpus ORU^R01 messages (the traffic mixes of bench/hl7-traffic.ts) over raw MLLP
 * sockets (0x0B … 0x1C 0x0D), one message in flight per connection, `concurrency` connections.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { timed, type LatencySummary } from './stats.js';
import { corpusPath } from '../server/testing/corpus.js';
import { patientOf, trafficMessage, uniqueCopy, type Hl7Traffic } from './hl7-traffic.js';

export const HL7_CORPUS = corpusPath('hl7v2');

/** Every single-message corpus file whose MSH-9 is ORU^R01. */
export function oruMessages(): { name: string; text: string }[] {
  const root = join(HL7_CORPUS, 'messages');
  if (!existsSync(root)) return [];
  const out: { name: string; text: string }[] = [];
  for (const src of readdirSync(root).sort()) {
    for (const f of readdirSync(join(root, src)).sort()) {
      const text = readFileSync(join(root, src, f), 'utf8').replace(/^\uFEFF/, '');
      const msh = text.split('\r')[0] ?? '';
      if (!msh.startsWith('MSH')) continue;
      const fields = msh.split(msh[3]!);
      const [code, event] = (fields[8] ?? '').split(msh[4]!);
      if (code === 'ORU' && event === 'R01') out.push({ name: `${src}/${f}`, text });
    }
  }
  return out;
}

/** One raw MLLP connection sending a message and waiting for the framed reply. */
class RawMllp {
  private buffer = Buffer.alloc(0);
  private waiting?: (reply: string) => void;
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      const end = this.buffer.indexOf(Buffer.from([0x1c, 0x0d]));
      if (end < 0) return;
      const start = this.buffer.indexOf(0x0b);
      const reply = this.buffer.subarray(start + 1, end).toString('utf8');
      this.buffer = this.buffer.subarray(end + 2);
      const w = this.waiting;
      this.waiting = undefined;
      w?.(reply);
    });
  }
  static async connect(port: number): Promise<RawMllp> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    return new RawMllp(socket);
  }
  send(message: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ACK within 60 s')), 60_000);
      this.waiting = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      this.socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(message, 'utf8'), Buffer.from([0x1c, 0x0d])]));
    });
  }
  close(): void {
    this.socket.end();
  }
}

const ackCode = (ack: string): string => (ack.split('\r').find((s) => s.startsWith('MSA')) ?? '').split('|')[1] ?? '';

export type Hl7Figure = LatencySummary & {
  messagesAccepted: number;
  firstRejection?: string;
  corpusMessages: number;
  usable: number;
  traffic: Hl7Traffic;
  /** Distinct patients the timed messages are for. */
  patients: number;
};

/** Each measureHl7 call of a process takes its own block of generated persons (no duplicates between two runs). */
const PERSONS_PER_RUN = 500_000;
let runs = 0;

export async function measureHl7(
  mllpPort: number,
  count: number,
  concurrency: number,
  o: { traffic?: Hl7Traffic } = {},
): Promise<Hl7Figure | { skipped: string }> {
  const traffic = o.traffic ?? 'known-patients';
  const firstPerson = (runs++ % 8) * PERSONS_PER_RUN;
  const corpus = oruMessages();
  if (corpus.length === 0) return { skipped: `no ORU^R01 messages under ${HL7_CORPUS}/messages` };
  // The server opens its MLLP listener after HTTP (it migrates the interop database first): wait up to 60 s.
  let probe: RawMllp | undefined;
  for (const deadline = Date.now() + 60_000; !probe;) {
    try {
      probe = await RawMllp.connect(mllpPort);
    } catch (error) {
      if (Date.now() > deadline)
        return { skipped: `the server does not accept MLLP on port ${mllpPort}: ${(error as Error).message}` };
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const run = Date.now().toString(36);
  // Warm-up pass: which corpus messages does the mapping accept (AA)? Only those are timed.
  const usable: string[] = [];
  for (const [i, m] of corpus.entries()) {
    if (usable.length >= count) break; // enough distinct messages for the timed run
    const copy = uniqueCopy(m.text, `BW${run}${i}`, `-w${run}${i}`, firstPerson + PERSONS_PER_RUN - 1 - i);
    if (ackCode(await probe.send(copy)) === 'AA') usable.push(m.text);
  }
  probe.close();
  if (usable.length === 0) return { skipped: `none of the ${corpus.length} ORU^R01 corpus messages was accepted (AA)` };
  const sockets = await Promise.all(Array.from({ length: concurrency }, () => RawMllp.connect(mllpPort)));
  const free = [...sockets];
  let accepted = 0;
  let firstRejection: string | undefined;
  const summary = await timed(count, concurrency, async (i) => {
    const socket = free.pop()!;
    try {
      const ack = await socket.send(trafficMessage(usable, i, count, traffic, { id: run, firstPerson }));
      if (ackCode(ack) === 'AA') accepted++;
      else firstRejection ??= ack.replace(/\r/g, '\\r').slice(0, 400);
    } finally {
      free.push(socket);
    }
  });
  for (const s of sockets) s.close();
  return {
    ...summary,
    messagesAccepted: accepted,
    ...(firstRejection ? { firstRejection } : {}),
    corpusMessages: corpus.length,
    usable: usable.length,
    traffic,
    patients: new Set(Array.from({ length: count }, (_, i) => patientOf(i, count, traffic))).size,
  };
}
