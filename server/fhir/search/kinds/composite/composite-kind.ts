/**
 * The composite kind (`code-value-quantity`, `component-code-value-concept`, …): a tuple of plain kinds evaluated on
 * one element. Like the plain kinds (registry.ts) it holds its parsing, index extraction, in-memory matching and
 * PostgreSQL and Mongo compilation; each of those hands the parts to the part's own kind.
 */
import { extractComposite } from './extract-composite.js';
import { compositeEntryKey, compositeEntryMatches } from './match-composite.js';
import { compositeFilter } from './composite-mongo.js';
import { compositePartParam, compositePredicate, compositeRows } from './composite-postgres.js';
import { parseComposite } from './parse-composite.js';

export const compositeKind = {
  kind: 'composite',
  parse: parseComposite,
  extract: extractComposite,
  entryKey: compositeEntryKey,
  entryMatches: compositeEntryMatches,
  /** fhir_idx_composite has no columns of its own: the parts' rows carry the values (`rows`). */
  postgres: { columns: [], rows: compositeRows, partParam: compositePartParam, predicate: compositePredicate },
  /** The idx.composite elements, found by param; their parts are matched inside $elemMatch. */
  mongo: { indexes: [{ name: 'composite', keys: { 'idx.composite.param': 1 } }], filter: compositeFilter },
} as const;

export type { CompositeCondition } from './parse-composite.js';
