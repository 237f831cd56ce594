/**
 * Indexes, created at init() and before the first write to a new type's collection (createIndex is
 * idempotent). Each idx array holds one shape of element, so a compound multikey index on
 * idx.<kind>.param + value fields serves the $elemMatch of every parameter of that kind.
 */
import { kindOf, PLAIN_KINDS } from '../../fhir/search/kinds/registry.js';
import { compositeKind } from '../../fhir/search/kinds/composite/composite-kind.js';
import type { IndexSpec } from './doc-db.js';

export const RESOURCE_INDEXES: readonly IndexSpec[] = [
  { name: 'lastUpdated', keys: { lu: 1 } },
  { name: 'compartments', keys: { compartments: 1 } },
  ...PLAIN_KINDS.flatMap((kind) => kindOf(kind).mongo.indexes),
  ...compositeKind.mongo.indexes,
  // per-parameter sort fields have names known only at write time
  { name: 'sort', keys: { 'sort.$**': 1 } },
  // $lastn (lastn-keys.ts): the newest of a (subject, code) first
  { name: 'lastn', keys: { 'lastn.subject': 1, 'lastn.code': 1, lastnAt: -1, lu: -1, id: 1 } },
];

export const HISTORY_INDEXES: readonly IndexSpec[] = [
  { name: 'version_unique', keys: { resourceType: 1, id: 1, versionId: 1 }, unique: true },
  { name: 'system_history', keys: { lu: -1, resourceType: 1, id: 1, versionId: -1 } },
  { name: 'type_history', keys: { resourceType: 1, lu: -1, id: 1, versionId: -1 } },
];
