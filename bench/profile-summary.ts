/**
 * Summarises a V8 .cpuprofile (from `--cpu-prof-dir`): self time by function and by file, and total (inclusive)
 * time of the project's own functions, so that hot spots can be named with evidence.
 * Usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top=25] [callers-of-function-name]
 */
import { readFileSync } from 'node:fs';

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

const [file, topArg, callersOf] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Time per sample = the following delta (microseconds).
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
const totalUs = [...selfUs.values()].reduce((s, x) => s + x, 0);
const idleIds = new Set(
  profile.nodes
    .filter((n) => ['(idle)', '(program)', '(garbage collector)'].includes(n.callFrame.functionName))
    .map((n) => n.id),
);
const busyUs = [...selfUs.entries()].filter(([id]) => !idleIds.has(id)).reduce((s, [, x]) => s + x, 0);

// the repository this script is in (a worktree as well as the main checkout)
const ROOT = new URL('..', import.meta.url).pathname;
const short = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, 'node_modules/')
    .replace(ROOT, '');
const label = (n: Node) =>
  `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const pct = (us: number) => `${((us / totalUs) * 100).toFixed(1)}%`;

const selfByFn = new Map<string, number>();
const selfByFile = new Map<string, number>();
const inclusiveOwn = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us);
  const f = short(n.callFrame.url) || n.callFrame.functionName;
  selfByFile.set(f, (selfByFile.get(f) ?? 0) + us);
  // Inclusive time of each project function on the stack (counted once per sample stack).
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const c = byId.get(cur)!;
    const url = c.callFrame.url;
    if (!url.includes(ROOT) || url.includes('node_modules')) continue;
    const key = label(c);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusiveOwn.set(key, (inclusiveOwn.get(key) ?? 0) + us);
  }
}
const table = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `${pct(us).padStart(6)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
    .join('\n');
console.log(
  `profile ${file}: ${(totalUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(1)} s busy (not idle/program/GC)`,
);
console.log(
  `GC ${pct(profile.nodes.filter((n) => n.callFrame.functionName === '(garbage collector)').reduce((s, n) => s + (selfUs.get(n.id) ?? 0), 0))}`,
);
console.log(`\n== self time by function ==\n${table(selfByFn)}`);
console.log(`\n== self time by file ==\n${table(selfByFile)}`);
console.log(`\n== inclusive time, project functions ==\n${table(inclusiveOwn)}`);

if (callersOf) {
  // Who spends the time in `callersOf`: its nearest project caller and the full stack, by self time.
  const stacks = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName !== callersOf) continue;
    const frames: string[] = [];
    for (let cur = parent.get(id); cur !== undefined && frames.length < 8; cur = parent.get(cur)) {
      const c = byId.get(cur)!;
      if (c.callFrame.url) frames.push(label(c));
    }
    const key = frames.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + us);
  }
  console.log(`\n== stacks under ${callersOf} ==\n${table(stacks)}`);
}
