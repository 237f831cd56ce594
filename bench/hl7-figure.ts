/**
 * HL7 ORU^R01 messages per second over MLLP with the ACK after the FHIR commit, to the server's own listener
 * (MLLP_PORT): the corpus ORU^R01 messages (each copy with a fresh MSH-10 and suffixed identifiers) over raw MLLP
 * sockets (0x0B … 0x1C 0x0D), one message in flight per connection, `concurrency` connections.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { timed, type LatencySummary } from './stats.js';
import { corpusPath } from '../server/testing/corpus.js';

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

/**
 * Copy `suffix` of a message: MSH-10 = controlId, MSH-11 = P, and the identifiers a mapping matches on (PID-3, ORC-2/3,
 * OBR-2/3,
 * first component of each repetition) suffixed, so that copies are new patients and orders rather than 16 clients
 * updating the same few resources at once. By default a copy keeps the corpus patient's name and birth date, so each
 * new patient is an exact duplicate of the earlier copies and the server's duplicate check (Patient create) finds
 * and records them all, a cost that grows with the run; with `person` (bench/hl7-only.ts --distinct-patients) PID-5
 * and PID-7 are those of a distinct generated person (personOf).
 */
const FAMILIES = [
  'Ahmed',
  'Osman',
  'Babiker',
  'Elhassan',
  'Abdalla',
  'Mustafa',
  'Idris',
  'Hamid',
  'Saeed',
  'Yousif',
  'Karrar',
  'Mahgoub',
  'Nugud',
  'Taha',
  'Elamin',
  'Suliman',
  'Fadul',
  'Gasim',
  'Bashir',
  'Hussein',
  'Kheir',
  'Omer',
  'Adam',
];
const GIVEN = [
  'Amna',
  'Mohamed',
  'Fatima',
  'Khalid',
  'Sara',
  'Tarig',
  'Hiba',
  'Yasir',
  'Rania',
  'Mazin',
  'Nour',
  'Hatim',
  'Salma',
  'Omer',
  'Duaa',
  'Waleed',
  'Maha',
  'Ayman',
  'Reem',
  'Sami',
  'Lina',
  'Hisham',
  'Amal',
  'Musab',
];

/** PID-5 and PID-7 of person n: a name and birth date that no other n below 23 x 24 x 7,300 shares. */
export function personOf(n: number): { name: string; birthDate: string } {
  const family = FAMILIES[n % FAMILIES.length]!;
  const given = GIVEN[Math.floor(n / FAMILIES.length) % GIVEN.length]!;
  const day = new Date(Date.UTC(1940, 0, 1) + (Math.floor(n / (FAMILIES.length * GIVEN.length)) % 7300) * 86_400_000);
  return { name: `${family}^${given}`, birthDate: day.toISOString().slice(0, 10).replace(/-/g, '') };
}

export function uniqueCopy(text: string, controlId: string, suffix: string, person?: number): string {
  const sep = text[3] ?? '|';
  const comp = text[4] ?? '^';
  const rep = text[5] ?? '~';
  const fields: Record<string, number[]> = { PID: [3], PV1: [19], ORC: [2, 3], OBR: [2, 3] }; // PV1-19: a visit number is one patient's
  return text
    .split('\r')
    .map((segment) => {
      const f = segment.split(sep);
      const name = f[0] ?? '';
      if (name === 'PID' && person !== undefined) {
        const p = personOf(person);
        while (f.length <= 7) f.push('');
        f[5] = p.name.replace('^', comp);
        f[7] = p.birthDate;
      }
      if (name === 'MSH') {
        f[9] = controlId;
        f[10] = 'P'; // corpus messages are often T or D: a copy is a production message (the server takes P only)
      }
      for (const i of fields[name] ?? []) {
        if (!f[i]) continue;
        f[i] = f[i]
          .split(rep)
          .map((r) =>
            r
              ? r
                  .split(comp)
                  .map((c, k) => (k === 0 && c ? `${c}${suffix}` : c))
                  .join(comp)
              : r,
          )
          .join(rep);
      }
      return f.join(sep);
    })
    .join('\r');
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
};

export async function measureHl7(
  mllpPort: number,
  count: number,
  concurrency: number,
  o: { distinctPatients?: boolean } = {},
): Promise<Hl7Figure | { skipped: string }> {
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
    if (ackCode(await probe.send(uniqueCopy(m.text, `BW${run}${i}`, `-w${run}${i}`))) === 'AA') usable.push(m.text);
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
      const ack = await socket.send(
        uniqueCopy(usable[i % usable.length]!, `B${run}${i}`, `-b${run}${i}`, o.distinctPatients ? i : undefined),
      );
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
  };
}
