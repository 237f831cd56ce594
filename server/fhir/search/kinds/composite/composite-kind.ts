/**
 * The composite kind (`code-value-quantity`, `component-code-value-concept`, …): a tuple of plain kinds evaluated on
 * one element. Like the plain kinds (registry.ts) it holds its parsing, index extraction, in-memory matching and
 * PostgreSQL and Mongo compilation; each of those hands the parts to the part's own kind.
 */
import { extractComposite } from './extract-composite.js';
import { compositeEntryKey, compositeEntryMatches } from './match-composite.js';
import { compositeFilter } from './composite-mongo.js';
import { compositePartParam, compositePredicate } from './composite-postgres.js';
import { parseComposite } from './parse-composite.js';

export const compositeKind = {
  kind: 'composite',
  parse: parseComposite,
  extract: extractComposite,
  entryKey: compositeEntryKey,
  entryMatches: compositeEntryMatches,
  postgres: { partParam: compositePartParam, predicate: compositePredicate },
  mongo: { filter: compositeFilter },
} as const;

export type { CompositeCondition } from './parse-composite.js';
