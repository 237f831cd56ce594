/**
 * Corrections to R4 invariants that the FHIR technical errata (and R4B) fixed, applied once to @medplum/core's
 * parsed definitions so that validation agrees with the reference validator:
 * - que-12: "more than one enableWhen" was written `enableWhen.count() > 2`; the intent (and R4B) is `> 1`.
 */
import { getDataType } from '@medplum/core';

const CORRECTIONS = [
  {
    types: ['Questionnaire', 'QuestionnaireItem'],
    key: 'que-12',
    expression: 'enableWhen.count() > 1 implies enableBehavior.exists()',
  },
] as const;

let applied = false;

export function applyR4Errata(): void {
  if (applied) return;
  applied = true;
  for (const fix of CORRECTIONS) {
    for (const type of fix.types) {
      const schema = getDataType(type);
      const constraintLists = [schema.constraints, ...Object.values(schema.elements).map((e) => e.constraints)];
      for (const list of constraintLists) {
        for (const c of list ?? []) if (c.key === fix.key) (c as { expression: string }).expression = fix.expression;
      }
    }
  }
}
