/**
 * Indexes, created at init() and before the first write to a new type's collection (createIndex is
 * idempotent). Each idx array holds one shape of element, so a compound multikey index on
 * idx.<kind>.param + value fields serves the $elemMatch of every parameter of that kind.
 */
import { tokenKind } from '../../fhir/search/kinds/token/token-kind.js';
import type { IndexSpec } from './doc-db.js';

export const RESOURCE_INDEXES: readonly IndexSpec[] = [
  { name: 'lastUpdated', keys: { lu: 1 } },
  { name: 'compartments', keys: { compartments: 1 } },
  { name: 'string_value', keys: { 'idx.string.param': 1, 'idx.string.value': 1 } },
  { name: 'string_exact', keys: { 'idx.string.param': 1, 'idx.string.exact': 1 } },
  ...tokenKind.mongo.indexes,
  { name: 'date', keys: { 'idx.date.param': 1, 'idx.date.low': 1, 'idx.date.high': 1 } },
  { name: 'number', keys: { 'idx.number.param': 1, 'idx.number.value': 1 } },
  { name: 'quantity', keys: { 'idx.quantity.param': 1, 'idx.quantity.value': 1 } },
  {
    name: 'quantity_canonical',
    keys: { 'idx.quantity.param': 1, 'idx.quantity.canonicalCode': 1, 'idx.quantity.canonicalValue': 1 },
  },
  { name: 'reference', keys: { 'idx.reference.param': 1, 'idx.reference.targetId': 1, 'idx.reference.targetType': 1 } },
  { name: 'reference_url', keys: { 'idx.reference.param': 1, 'idx.reference.url': 1 } },
  { name: 'reference_identifier', keys: { 'idx.reference.param': 1, 'idx.reference.identifierValue': 1 } },
  { name: 'uri', keys: { 'idx.uri.param': 1, 'idx.uri.value': 1 } },
  { name: 'composite', keys: { 'idx.composite.param': 1 } },
  // per-parameter sort fields have names known only at write time
  { name: 'sort', keys: { 'sort.$**': 1 } },
];

export const HISTORY_INDEXES: readonly IndexSpec[] = [
  { name: 'version_unique', keys: { resourceType: 1, id: 1, versionId: 1 }, unique: true },
  { name: 'system_history', keys: { lu: -1, resourceType: 1, id: 1, versionId: -1 } },
  { name: 'type_history', keys: { resourceType: 1, lu: -1, id: 1, versionId: -1 } },
];
