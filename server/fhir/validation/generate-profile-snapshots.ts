/**
 * Regenerates the snapshot of every StructureDefinition under profiles/ from its differential (snapshot.ts),
 * so that hand-edited NileCare profiles stay loadable by @medplum/core. Run after editing a differential:
 *   npx tsx server/fhir/validation/generate-profile-snapshots.ts
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StructureDefinition } from '@medplum/fhirtypes';
import { PROFILES_DIR } from '../definitions.js';
import { withSnapshot } from './snapshot.js';

/** Long prose and mappings are left out of generated snapshots (validation does not read them). */
const DROPPED = ['mapping', 'requirements', 'comment', 'alias', 'meaningWhenMissing', 'isModifierReason'] as const;

for (const file of readdirSync(PROFILES_DIR).filter(
  (f) => f.startsWith('StructureDefinition-') && f.endsWith('.json'),
)) {
  const path = join(PROFILES_DIR, file);
  const sd = JSON.parse(readFileSync(path, 'utf8')) as StructureDefinition;
  if (!sd.differential?.element?.length) continue;
  const { snapshot: _old, ...withoutSnapshot } = sd;
  const full = withSnapshot(withoutSnapshot, () => undefined);
  if (!full?.snapshot) {
    console.error(`${file}: base ${sd.baseDefinition} not found, left unchanged`);
    continue;
  }
  for (const element of full.snapshot.element ?? [])
    for (const key of DROPPED) delete (element as unknown as Record<string, unknown>)[key];
  writeFileSync(path, `${JSON.stringify(full, null, 2)}\n`);
  console.log(`${file}: ${full.snapshot.element?.length} snapshot elements`);
}
