#!/usr/bin/env node
// Production build: compiles the server and adapters to JavaScript in dist/ (tsconfig.build.json), then copies the
// files they read at run time (migrations, profiles, HL7 mappings, JSON tables, the console's static files) to the
// same relative places, so `node dist/server/main.js` runs without tsx or the TypeScript sources.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** BUILD_OUT_DIR: another output folder (the build test uses one of its own). */
const OUT = process.env.BUILD_OUT_DIR || 'dist';
const ASSET_ROOTS = ['server', 'adapters', 'mappings', 'migrations', 'profiles'];
/** Not needed at run time: sources, documentation, test data. */
const skip = (path) => path.endsWith('.ts') || path.endsWith('.md') || /(^|\/)(testing|test)(\/|$)/.test(path);

rmSync(OUT, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', OUT], { stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error('build: the TypeScript compilation failed');
  process.exit(compiled.status ?? 1);
}

let copied = 0;
function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (!skip(path)) {
      mkdirSync(join(OUT, dirname(path)), { recursive: true });
      cpSync(path, join(OUT, path));
      copied++;
    }
  }
}
for (const root of ASSET_ROOTS) copyAssets(root);
// dist/ is an ES module tree like the sources (the root package.json says so too; this keeps dist/ self-describing).
writeFileSync(join(OUT, 'package.json'), JSON.stringify({ type: 'module' }, null, 2) + '\n');
console.log(`build: dist/ ready (${copied} run-time files copied); start with \`npm run start:prod\``);
