/**
 * Write-time index extraction: every applicable search parameter of the resource's type is evaluated
 * (with its per-type parsed FHIRPath, see extraction-plan.ts) and turned into typed entries by the
 * extractor of its kind; entries are deduplicated and the compartments are derived from them.
 * Total: odd data is skipped, never thrown on — but never silently: every expression or value that could not be
 * indexed is handed to the `report` callback (the app logs it and counts it in
 * `nilecare_index_values_skipped_total`), because a resource stored without an index row is never found by it.
 */
import { evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { IndexEntry, ResourceIndex } from './index-entry.js';
import { compartmentsFromEntries } from './compartments.js';
import { dedupeEntries } from './dedupe.js';
import { extractionPlan } from './extraction-plan.js';
import { guardAllows, rootNames } from './root-guard.js';
import { kindOf } from '../search/kinds/registry.js';
import { extractPersonName, extractPhonetic } from './extractors/name-extractors.js';

const TEXT_EXTRACTORS = { personName: extractPersonName, phonetic: extractPhonetic } as const;
import { compositeKind } from '../search/kinds/composite/composite-kind.js';
import type { ComponentMemo } from '../search/kinds/composite/extract-composite.js';
import { extractContent } from '../search/kinds/string/extract-content.js';
import { foldKeyValue, MAX_INDEX_VALUE_BYTES, utf8Prefix } from './index-value-bytes.js';

/** A search parameter whose expression (stage 'expression') or one of whose values (stage 'value') was skipped. */
export type IndexProblem = {
  resourceType: string;
  id: string | undefined;
  param: string;
  stage: 'expression' | 'value';
  error: string;
};
export type IndexProblemReport = (problem: IndexProblem) => void;

/** Kinds whose extractor makes an entry of every value it understands: no entry means the value was skipped. */
const VALUE_KINDS: ReadonlySet<string> = new Set(['date', 'number', 'quantity']);

export function extractIndex(resource: Resource, report?: IndexProblemReport): ResourceIndex {
  return extractWith(resource, true, report);
}

/** The same extraction with every expression evaluated by Medplum's engine (reference for tests and the bench). */
export function extractIndexWithoutFastPaths(resource: Resource, report?: IndexProblemReport): ResourceIndex {
  return extractWith(resource, false, report);
}

function extractWith(resource: Resource, fastPaths: boolean, report?: IndexProblemReport): ResourceIndex {
  const type = resource?.resourceType;
  if (typeof type !== 'string') return { entries: [], compartments: [] };
  const plan = extractionPlan(type, fastPaths);
  const root = toTypedValue(resource);
  const variables: Record<string, TypedValue> = { '%resource': root, '%rootResource': root };
  const entries: IndexEntry[] = [];
  const memo: ComponentMemo = new Map();
  const names = rootNames(resource);
  for (const param of plan) {
    if (!guardAllows(param.guard, names)) continue;
    let values: TypedValue[];
    try {
      values = param.fast ? param.fast(resource) : evalFhirPathTyped(param.atom, [root], variables);
    } catch (error) {
      // an expression that cannot be evaluated on odd data indexes nothing: reported
      report?.({
        resourceType: type,
        id: resource.id,
        param: param.code,
        stage: 'expression',
        error: messageOf(error),
      });
      continue;
    }
    for (const value of values) {
      const mark = entries.length;
      try {
        if (param.kind === 'composite')
          compositeKind.extract(param.code, value, param.components, variables, entries, memo);
        else if (param.text) TEXT_EXTRACTORS[param.text](param.code, value, entries);
        else kindOf(param.kind).extract(param.code, value, entries);
        if (
          entries.length === mark &&
          VALUE_KINDS.has(param.kind) &&
          value.value !== undefined &&
          value.value !== null
        ) {
          // a date, number or quantity that is there but could not be indexed (e.g. 2020-02-30): unsearchable
          const shown = JSON.stringify(value.value).slice(0, 80);
          report?.({
            resourceType: type,
            id: resource.id,
            param: param.code,
            stage: 'value',
            error: `${shown} cannot be indexed as a ${param.kind}`,
          });
        }
      } catch (error) {
        entries.length = mark; // drop whatever this value half-produced
        report?.({ resourceType: type, id: resource.id, param: param.code, stage: 'value', error: messageOf(error) });
      }
    }
  }
  try {
    extractContent(resource, entries);
  } catch (error) {
    report?.({ resourceType: type, id: resource.id, param: '_content', stage: 'value', error: messageOf(error) });
  }
  for (const entry of entries) capValues(entry); // see index-value-bytes.ts
  const unique = dedupeEntries(entries);
  return { entries: unique, compartments: compartmentsFromEntries(type, resource.id, unique) };
}

/** Keeps every index value inside a btree row: string values cut, token/URI/reference values folded. */
function capValues(entry: IndexEntry): void {
  switch (entry.kind) {
    case 'string':
      entry.value = utf8Prefix(entry.value, MAX_INDEX_VALUE_BYTES);
      break;
    case 'token':
      entry.system = fold(entry.system);
      entry.code = fold(entry.code);
      if (entry.typeSystem !== undefined) entry.typeSystem = foldKeyValue(entry.typeSystem);
      if (entry.typeCode !== undefined) entry.typeCode = foldKeyValue(entry.typeCode);
      break;
    case 'uri':
      entry.value = foldKeyValue(entry.value);
      break;
    case 'reference':
      entry.url = fold(entry.url);
      if (entry.identifierSystem !== undefined) entry.identifierSystem = foldKeyValue(entry.identifierSystem);
      if (entry.identifierValue !== undefined) entry.identifierValue = foldKeyValue(entry.identifierValue);
      break;
    case 'composite':
      entry.parts.forEach(capValues);
      break;
    default:
      break;
  }
}

function fold(value: string | null): string | null {
  return value === null ? null : foldKeyValue(value);
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
