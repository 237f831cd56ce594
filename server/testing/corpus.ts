/**
 * Where the third-party test data is: `../shared/corpus` beside the repository (Synthea, official FHIR examples,
 * HL7 v2 messages, fhir-test-cases, the HL7 v2-to-FHIR IG; see its INDEX.md and PROVENANCE.md), or wherever the
 * NILECARE_CORPUS environment variable points. Tests and benchmarks read it in place, never copy it, and find it only
 * through this module, so which tests run does not depend on where the checkout sits.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { skipOrFail } from './skip-or-fail.js';

/** The repository's own root (this file is server/testing/corpus.ts). */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const CORPUS_ROOT = resolve(process.env['NILECARE_CORPUS'] || join(REPOSITORY_ROOT, '..', 'shared', 'corpus'));

/** A path inside the corpus: `corpusPath('synthea', 'smart-r4-2019')`. */
export function corpusPath(...parts: string[]): string {
  return join(CORPUS_ROOT, ...parts);
}

/**
 * For `{ skip: corpusMissing(…) }` or `t.skip(…)`: false when every folder exists, else why the test cannot run.
 * Folders are absolute or relative to the corpus root. Under CI=true a missing folder throws instead (see skipOrFail).
 */
export function corpusMissing(...folders: string[]): string | false {
  const missing = folders.map((f) => resolve(CORPUS_ROOT, f)).filter((f) => !existsSync(f));
  if (missing.length === 0) return false;
  return skipOrFail(
    `third-party corpus absent: ${missing.join(', ')} (set NILECARE_CORPUS to the corpus folder, default ../shared/corpus beside the repository)`,
  );
}
