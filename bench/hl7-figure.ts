/**
 * HL7 ORU^R01 messages per second over MLLP with the ACK after the FHIR commit: the corpus ORU^R01 messages
 * (each sent with a fresh MSH-10 so none is a duplicate) over raw MLLP sockets (0x0B … 0x1C 0x0D), one message
 * in flight per connection, `concurrency` connections.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { ROOT, vmHwmMb } from './server-process.js';
import { timed, type LatencySummary } from './stats.js';

export const HL7_CORPUS = process.env['NILECARE_HL7_CORPUS'] ?? '/work/shared/corpus/hl7v2';

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

/** The message with MSH-10 replaced by `controlId`. */
export function withControlId(text: string, controlId: string): string {
  const end = text.indexOf('\r');
  const msh = end < 0 ? text : text.slice(0, end);
  const fields = msh.split(msh[3]!);
  fields[9] = controlId;
  return fields.join(msh[3]!) + (end < 0 ? '' : text.slice(end));
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

export type Hl7Figure = LatencySummary & { messagesAccepted: number; firstRejection?: string; corpusMessages: number; usable: number; listenerPeakRssMb: number };

export async function measureHl7(fhirBaseUrl: string, count: number, concurrency: number): Promise<Hl7Figure | { skipped: string }> {
  const corpus = oruMessages();
  if (corpus.length === 0) return { skipped: `no ORU^R01 messages under ${HL7_CORPUS}/messages` };
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/hl7-listener.ts'], {
    cwd: ROOT,
    env: { ...process.env, FHIR_BASE_URL: fhirBaseUrl, MLLP_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-3000)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => {
        const m = /listening (\d+)/.exec(c.toString());
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`HL7 listener exited (${code}): ${stderr}`)));
    });
    const run = `${Date.now().toString(36)}`;
    // Warm-up pass: which corpus messages does the mapping accept (AA)? Only those are timed.
    const probe = await RawMllp.connect(port);
    const usable: string[] = [];
    for (const [i, m] of corpus.entries()) {
      if (ackCode(await probe.send(withControlId(m.text, `BW${run}${i}`))) === 'AA') usable.push(m.text);
    }
    probe.close();
    if (usable.length === 0) return { skipped: `none of the ${corpus.length} ORU^R01 corpus messages was accepted (AA) by the listener` };
    const sockets = await Promise.all(Array.from({ length: concurrency }, () => RawMllp.connect(port)));
    const free = [...sockets];
    let accepted = 0;
    let firstRejection: string | undefined;
    const summary = await timed(count, concurrency, async (i) => {
      const socket = free.pop()!;
      try {
        const code = ackCode(await socket.send(withControlId(usable[i % usable.length]!, `B${run}${i}`)));
        if (code === 'AA') accepted++;
        else if (!firstRejection) firstRejection = `ACK ${code || '(none)'} for a message accepted in the warm-up`;
      } finally {
        free.push(socket);
      }
    });
    for (const s of sockets) s.close();
    return { ...summary, messagesAccepted: accepted, ...(firstRejection ? { firstRejection } : {}), corpusMessages: corpus.length, usable: usable.length, listenerPeakRssMb: vmHwmMb(child.pid!) };
  } finally {
    child.kill('SIGTERM');
  }
}
