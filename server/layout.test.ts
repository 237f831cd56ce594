/**
 * The layout the README describes: code only tests use lives in `testing/` folders, and nothing the server or its
 * command-line tools run imports from one (a test helper that the server reached would ship and run in production);
 * server/ knows adapters/ only in its composition root (the files directly in server/: app.ts, start-server.ts,
 * main.ts, *-wiring.ts), everything below it reaches adapters through ports it defines.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_FOLDERS = ['server', 'adapters', 'mappings', 'scripts'];

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Relative module specifiers of a file's static and dynamic imports and re-exports. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) specifiers.push(match[1]!);
  return specifiers;
}

const isTestCode = (file: string): boolean => file.endsWith('.test.ts') || file.split('/').includes('testing');
/** Developer tools that read the third-party corpus through its test helper (run by hand, never by the server). */
const CORPUS_TOOLS = ['adapters/hl7v2/mapping/tools/'];

const files = SOURCE_FOLDERS.flatMap(sourceFiles);

describe('layout', () => {
  it('finds the source tree', () => {
    assert.ok(files.length > 500, `only ${String(files.length)} files found under ${ROOT}`);
  });

  it('code outside tests never imports from a testing/ folder', () => {
    const offenders = files
      .filter((f) => !isTestCode(f) && !CORPUS_TOOLS.some((tool) => f.startsWith(tool)))
      .flatMap((f) =>
        importsOf(f)
          .filter((s) => s.split('/').includes('testing'))
          .map((s) => `${f} -> ${s}`),
      );
    assert.deepEqual(offenders, []);
  });

  it('below the composition root, server/ never imports adapters/ (adapters implement its ports)', () => {
    const belowRoot = (f: string) => f.startsWith('server/') && f.split('/').length > 2 && !isTestCode(f);
    const offenders = files.filter(belowRoot).flatMap((f) =>
      importsOf(f)
        .filter((s) => resolve('/', dirname(f), s).startsWith('/adapters/'))
        .map((s) => `${f} -> ${s}`),
    );
    assert.deepEqual(offenders, []);
  });

  it('contracts, suites, test stores and oracles sit in testing/ folders', () => {
    const misplaced = files.filter(
      (f) =>
        !isTestCode(f) && /(-contract|-suite|-fixtures?|-oracle|test-stores|test-databases|test-helpers)\.ts$/.test(f),
    );
    assert.deepEqual(misplaced, []);
  });
});
