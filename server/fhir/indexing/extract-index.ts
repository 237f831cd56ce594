/**
 * Write-time index extraction: every applicable search parameter of the resource's type is evaluated
 * (with its per-type parsed FHIRPath, see extraction-plan.ts) and turned into typed entries by the
 * extractor of its kind; entries are deduplicated and the compartments are derived from them.
 * Pure and total: odd data is skipped, never thrown on.
 */
import { evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { IndexEntry, ResourceIndex } from './index-entry.js';
import { compartmentsFromEntries } from './compartments.js';
import { dedupeEntries } from './dedupe.js';
import { extractionPlan } from './extraction-plan.js';
import { guardAllows, rootNames } from './root-guard.js';
import { EXTRACTORS } from './extractors/by-kind.js';
import { extractPersonName, extractPhonetic } from './extractors/name-extractors.js';

const TEXT_EXTRACTORS = { personName: extractPersonName, phonetic: extractPhonetic } as const;
import { extractComposite, type ComponentMemo } from './extractors/composite-extractor.js';

export function extractIndex(resource: Resource): ResourceIndex {
  return extractWith(resource, true);
}

/** The same extraction with every expression evaluated by Medplum's engine (reference for tests and the bench). */
export function extractIndexWithoutFastPaths(resource: Resource): ResourceIndex {
  return extractWith(resource, false);
}

function extractWith(resource: Resource, fastPaths: boolean): ResourceIndex {
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
    } catch {
      continue; // an expression that cannot be evaluated on odd data indexes nothing
    }
    for (const value of values) {
      const mark = entries.length;
      try {
        if (param.kind === 'composite') extractComposite(param.code, value, param.components, variables, entries, memo);
        else if (param.text) TEXT_EXTRACTORS[param.text](param.code, value, entries);
        else EXTRACTORS[param.kind](param.code, value, entries);
      } catch {
        entries.length = mark; // drop whatever this value half-produced
      }
    }
  }
  const unique = dedupeEntries(entries);
  return { entries: unique, compartments: compartmentsFromEntries(type, resource.id, unique) };
}
