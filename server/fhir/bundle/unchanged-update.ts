/**
 * Whether an update would store what the current version already holds: everything but `id` and the version's own
 * meta (`versionId`, `lastUpdated`, `source`) is compared, object keys in any order, numbers with the text they are
 * kept with (1.50 is not 1.5: number-texts.ts). Anything the stored version has that the update has not (or the
 * reverse) makes them differ, so such an update is written as before: never a lost change.
 * Used by transactions whose caller asks for it (FhirContext.unchangedWritesNothing: HL7 inbound, whose messages
 * repeat what is stored): such an entry writes no new version and answers the current one.
 */
import type { Resource } from '@medplum/fhirtypes';
import { numberTextOf } from '../../json/number-texts.js';

export function sameStoredContent(update: Resource, stored: Resource): boolean {
  return sameValue({ r: content(update) }, { r: content(stored) }, 'r');
}

/** Without id and the version's own meta (a spread copy keeps the number texts: they are enumerable). */
function content(r: Resource): object {
  const { id: _id, meta, ...rest } = r;
  if (!meta) return rest;
  const { versionId: _v, lastUpdated: _l, source: _s, ...kept } = meta;
  return Object.values(kept).some((v) => v !== undefined) ? { ...rest, meta: kept } : rest;
}

/** holderA[key] and holderB[key] are the same JSON value (a number with the same text). */
function sameValue(holderA: object, holderB: object, key: string | number): boolean {
  const a = (holderA as Record<string, unknown>)[key];
  const b = (holderB as Record<string, unknown>)[key];
  if (typeof a === 'number' || typeof b === 'number')
    return a === b && numberTextOf(holderA, key) === numberTextOf(holderB, key);
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    if (a.length !== bs.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a, bs, i)) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keysA = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const keysB = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return keysA.length === keysB.length && keysA.every((k) => rb[k] !== undefined && sameValue(ra, rb, k));
}
