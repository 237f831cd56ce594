#!/usr/bin/env node
// Runs the whole test suite: type check, then every *.test.ts under the source folders with node's
// test runner (in parallel processes). Extra arguments are passed as file filters (substring match).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['server', 'adapters', 'mappings', 'migrations', 'bench', 'scripts'];
const filters = process.argv.slice(2);

function findTests(dir, out = []) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = roots.flatMap((r) => findTests(r)).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

if (filters.length === 0 || process.env.TYPECHECK === '1') {
  console.log('# type check (tsc --noEmit)');
  const tsc = spawnSync('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

console.log(`# ${files.length} test files`);
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const run = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    // A test file whose tests are done exits even if a handle was left open; no single test may hang the run.
    '--test-force-exit',
    `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? 900000}`,
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(run.status ?? 1);
