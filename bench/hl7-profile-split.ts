/**
 * Where a server's CPU per inbound HL7 message goes, from its V8 CPU profile (`bench/hl7-only.ts --cpu-prof-dir`):
 * each sample of the message phase (from the first to the last sample under processMessage; start-up left out) is
 * given to the innermost stage on its stack — parse, map, look-ups, validation, index extraction, store write, HL7
 * log, ACK, audit, … — and the stages are printed in ms per message and as shares of the busy time. Samples are wall
 * time: under load a sample in a system call that wakes another process (a socket write to PostgreSQL) can stand
 * for time the process was not running, so read the JavaScript stages as shares and the totals beside the measured
 * CPU per message of the run.
 * Usage: npx tsx bench/hl7-profile-split.ts <file.cpuprofile> <messages>
 * SPLIT_OTHER=<stage> also lists that stage's samples by leaf function and nearest project caller.
 */
import { readFileSync } from 'node:fs';

type Node = {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

/** Stages by function name or file; the innermost one on a sample's stack takes the sample. */
const STAGES: readonly { stage: string; fn?: readonly string[]; file?: RegExp }[] = [
  { stage: 'parse', fn: ['parseMessage'], file: /adapters\/hl7v2\/parser\// },
  { stage: 'map', fn: ['mapMessage'], file: /adapters\/hl7v2\/mapping\// },
  { stage: 'look-ups (prepare)', fn: ['prepareBundle'], file: /adapters\/hl7v2\/inbound\/prepare\// },
  { stage: 'validation', fn: ['validateResource', 'validateWithStore'] },
  { stage: 'index extraction', fn: ['extractIndex'] },
  {
    stage: 'store write',
    fn: ['writeVersions', 'applyVersions'],
    file: /server\/store\/postgres\/(write-|group-commit|index-rows)/,
  },
  {
    stage: 'store reads and searches',
    fn: ['searchWithinBudget', 'storeSearchAny', 'parseSearch', 'readCurrentMany', 'runSearch'],
    file: /server\/store\/postgres\/(search\/|read-)/,
  },
  { stage: 'patient matching', file: /server\/fhir\/matching\// },
  { stage: 'audit', file: /server\/auth\/audit/ },
  { stage: 'HL7 log', file: /adapters\/hl7v2\/log\// },
  { stage: 'ACK', fn: ['buildAck'] },
  { stage: 'MLLP', file: /adapters\/hl7v2\/mllp\// },
  { stage: 'change feed', file: /server\/change-feed\// },
  { stage: 'transaction (rest)', file: /server\/fhir\/(bundle|interactions)\// },
  { stage: 'inbound (rest)', file: /adapters\/hl7v2\/inbound\// },
];

const SOCKET_WRITES: ReadonlySet<string> = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String']);

const [file, messagesArg] = process.argv.slice(2);
if (!file || !messagesArg) {
  console.error('usage: npx tsx bench/hl7-profile-split.ts <file.cpuprofile> <messages>');
  process.exit(2);
}
const messages = Number(messagesArg);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

function stageOfFrame(n: Node): string | undefined {
  for (const s of STAGES) {
    if (s.fn?.includes(n.callFrame.functionName)) return s.stage;
    if (s.file?.test(n.callFrame.url)) return s.stage;
  }
  return undefined;
}

const stageOf = new Map<number, { stage: string; inMessage: boolean }>();
function classify(id: number): { stage: string; inMessage: boolean } {
  const known = stageOf.get(id);
  if (known) return known;
  const leaf = byId.get(id)!;
  let stage: string | undefined;
  let inMessage = false;
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const n = byId.get(at)!;
    stage ??= stageOfFrame(n);
    if (n.callFrame.functionName === 'processMessage') inMessage = true;
  }
  const name = leaf.callFrame.functionName;
  if (SOCKET_WRITES.has(name)) stage = 'socket writes (wall: a woken database process can preempt)';
  else if (!stage && /node_modules\/pg(-protocol|-pool)?\//.test(leaf.callFrame.url))
    stage = 'pg driver (outside a stage)';
  else if (!stage && /node_modules\/mysql2\//.test(leaf.callFrame.url)) stage = 'mysql2 driver (outside a stage)';
  if (name === '(garbage collector)') stage = 'GC';
  else if (name === '(idle)') stage = 'idle';
  else if (name === '(program)') stage = '(program)';
  const out = { stage: stage ?? 'other', inMessage };
  stageOf.set(id, out);
  return out;
}

const kinds = profile.samples.map((id) => classify(id));
const first = kinds.findIndex((k) => k.inMessage);
let last = -1;
kinds.forEach((k, i) => (last = k.inMessage ? i : last));
const us = new Map<string, number>();
for (let i = Math.max(first, 0); i <= last; i++) {
  const { stage } = kinds[i]!;
  us.set(stage, (us.get(stage) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
const busy = [...us].filter(([s]) => s !== 'idle').reduce((sum, [, v]) => sum + v, 0);
const rows = [...us]
  .filter(([s]) => s !== 'idle')
  .sort((a, b) => b[1] - a[1])
  .map(([stage, v]) => ({
    stage,
    msPerMessage: Math.round(v / 10 / messages) / 100,
    share: `${((v / busy) * 100).toFixed(1)} %`,
  }));
console.log(
  JSON.stringify(
    {
      messages,
      busyMsPerMessage: Math.round(busy / 10 / messages) / 100,
      idleMs: Math.round((us.get('idle') ?? 0) / 1000),
      stages: rows,
    },
    null,
    2,
  ),
);
if (process.env.SPLIT_OTHER) {
  const leaves = new Map<string, number>();
  for (let i = Math.max(first, 0); i <= last; i++) {
    if (kinds[i]!.stage !== process.env.SPLIT_OTHER) continue;
    const n = byId.get(profile.samples[i]!)!;
    let root = '';
    for (let at: number | undefined = n.id, d = 0; at !== undefined && d < 40; at = parent.get(at), d++) {
      const f = byId.get(at)!.callFrame;
      if (/wt\/hl7\/(server|adapters)/.test(f.url)) {
        root = `${f.functionName} ${f.url.replace(/.*wt\/hl7\//, '')}`;
        break;
      }
    }
    const k = `${n.callFrame.functionName} ${n.callFrame.url.replace(/.*node_modules\//, '')} < ${root}`;
    leaves.set(k, (leaves.get(k) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  for (const [k, v] of [...leaves].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log((v / 1000).toFixed(0).padStart(6), k);
}
