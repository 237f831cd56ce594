/**
 * The JSON files of the third-party corpus that hold FHIR resources (official examples and Synthea), read as text,
 * for the decimal round-trip tests. The corpus is found by server/testing/corpus.ts; absent → tests skip with the
 * reason, and under CI=true they fail instead.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_ROOT } from '../../testing/corpus.js';

/** The official examples: FHIR R4 core, US Core 9.0.0, IPS (302 + 3 files). */
export const OFFICIAL_EXAMPLE_FOLDERS = ['fhir-r4-core-examples', 'us-core-9.0.0-examples', 'ips-examples'].map((f) =>
  join(CORPUS_ROOT, 'extras', f),
);

/** The JSON inputs of HL7's fhir-test-cases kept in the corpus (FHIRPath inputs and validator cases). */
export const TEST_CASE_FOLDERS = [
  join(CORPUS_ROOT, 'fhir-test-cases', 'fhirpath-r4', 'input'),
  join(CORPUS_ROOT, 'fhir-test-cases', 'fhirpath-r4', 'input-json-equivalents'),
  join(CORPUS_ROOT, 'fhir-test-cases', 'validator-r4'),
];

export const SYNTHEA_FOLDERS = ['fhir-data-pipes-2021', 'smart-r4-2019'].map((f) => join(CORPUS_ROOT, 'synthea', f));

/** Every `.json` file under the folders (recursively), sorted, with its text. */
export function jsonFiles(folders: string[]): Array<{ path: string; text: string }> {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.json')) out.push(path);
    }
  };
  for (const folder of folders) if (existsSync(folder)) walk(folder);
  return out.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
}

/**
 * The text of every number in a JSON text by its path (`entry.3.resource.valueQuantity.value`), read with
 * JSON.parse's own source text access (independent of server/json): key order does not matter (jsonb reorders).
 */
export function numbersByPath(text: string, skip: (path: string) => boolean = () => false): Map<string, string> {
  const sources = new WeakMap<object, Map<string, string>>();
  const parse = JSON.parse as (
    t: string,
    r: (this: object, k: string, v: unknown, c?: { source?: string }) => unknown,
  ) => unknown;
  const root = parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, function (key, value, context) {
    if (typeof value === 'number' && context?.source !== undefined) {
      let map = sources.get(this);
      if (!map) sources.set(this, (map = new Map()));
      map.set(key, context.source);
    }
    return value;
  });
  const out = new Map<string, string>();
  const walk = (node: unknown, path: string) => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      const at = path ? `${path}.${key}` : key;
      if (skip(at)) continue;
      if (typeof child === 'number') out.set(at, sources.get(node)?.get(key) ?? String(child));
      else walk(child, at);
    }
  };
  walk(root, '');
  return out;
}

/** The paths whose number text differs between two maps (missing on one side included). */
export function differingNumbers(expected: Map<string, string>, actual: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [path, text] of expected)
    if (actual.get(path) !== text) out.push(`${path}: ${text} → ${actual.get(path)}`);
  for (const path of actual.keys()) if (!expected.has(path)) out.push(`${path}: (none) → ${actual.get(path)}`);
  return out;
}

/** How many of these number texts String(Number(text)) would not give back (what a plain JSON round trip alters). */
export function alteredByPlainJson(texts: Iterable<string>): number {
  let n = 0;
  for (const t of texts) if (String(Number(t)) !== t) n++;
  return n;
}
