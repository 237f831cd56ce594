/**
 * lab_tests_catalog rows (pure): ObservationDefinition / ActivityDefinition → their catalog row; a test named only
 * by an order or a result is added by its code. The category is derived from the codes the data states (HL7 v2
 * table 0074 diagnostic service sections in a category / topic); where none does it stays NULL, as does the
 * specimen type (no R4 definition resource here states one without a further SpecimenDefinition).
 */
import type { ActivityDefinition, CodeableConcept, ObservationDefinition } from '@medplum/fhirtypes';
import { codingOf, MappingError, row, stableUuid, textOf, truncate, type RowWrite } from '../outbox/rows.js';

export const LOINC = 'http://loinc.org';

/** HL7 v2 table 0074 (diagnostic service section id) → lab_tests_catalog.category. */
const SECTION: Record<string, string> = {
  HM: 'hematology',
  CH: 'chemistry',
  BG: 'chemistry',
  TX: 'chemistry',
  MB: 'microbiology',
  MCB: 'microbiology',
  MYC: 'microbiology',
  IMM: 'immunology',
  SR: 'serology',
  BLB: 'blood_bank',
  SP: 'pathology',
  CP: 'pathology',
  GE: 'molecular',
  CG: 'molecular',
};
const CATEGORY_NAMES = new Set(Object.values(SECTION).concat(['urinalysis', 'parasitology']));

/** The catalog category the concepts state (a v2-0074 section code, or a category named as in the schema). */
export function labCategory(...concepts: Array<CodeableConcept[] | undefined>): string | undefined {
  for (const c of concepts.flat()) {
    for (const coding of c?.coding ?? []) {
      const code = coding.code ?? '';
      if (/v2-0074$/.test(coding.system ?? '') && SECTION[code]) return SECTION[code];
      if (CATEGORY_NAMES.has(code.toLowerCase())) return code.toLowerCase();
    }
  }
  return undefined;
}

/** Ensures the catalog row of a test code (added with what the data states when missing); its id becomes ref 'test'. */
export function ensureTest(code: CodeableConcept | undefined, what: string, category?: string): RowWrite {
  const coding = codingOf(code, LOINC) ?? codingOf(code);
  if (!coding?.code) throw new MappingError(`${what} has no test code`);
  const testCode = truncate(coding.code, 50)!;
  return {
    op: 'ensure',
    ref: 'test',
    table: 'lab_tests_catalog',
    key: { test_code: testCode },
    id: stableUuid(`lab_tests_catalog/${testCode}`),
    values: row({
      test_name: truncate(textOf(code) ?? testCode, 255),
      loinc_code: coding.system === LOINC ? truncate(coding.code, 20) : undefined,
      category,
    }),
  };
}

export function mapCatalog(def: ObservationDefinition | ActivityDefinition, version: number): RowWrite[] {
  const what = `${def.resourceType}/${def.id}`;
  if (def.resourceType === 'ActivityDefinition' && def.kind && def.kind !== 'ServiceRequest') return [];
  const coding = codingOf(def.code, LOINC) ?? codingOf(def.code);
  if (!coding?.code) throw new MappingError(`${what} has no code (lab_tests_catalog.test_code)`);
  const testCode = truncate(coding.code, 50)!;
  const od = def.resourceType === 'ObservationDefinition' ? def : undefined;
  const normal = od?.qualifiedInterval?.find((q) => !q.category || q.category === 'reference')?.range;
  const critical = od?.qualifiedInterval?.find((q) => q.category === 'critical')?.range;
  const name =
    (def.resourceType === 'ActivityDefinition' ? (def.title ?? def.name) : undefined) ?? textOf(def.code) ?? testCode;
  return [
    // A catalog row this code already has (added for an order or result) becomes this definition's row.
    {
      op: 'update',
      table: 'lab_tests_catalog',
      where: { test_code: testCode, fhir_id: null },
      values: { fhir_id: def.id! },
    },
    {
      op: 'upsert',
      table: 'lab_tests_catalog',
      fhirId: def.id!,
      version,
      id: stableUuid(`lab_tests_catalog/${testCode}`),
      values: row({
        test_code: testCode,
        loinc_code: coding.system === LOINC ? truncate(coding.code, 20) : null,
        test_name: truncate(name, 255),
        category: labCategory(od?.category, def.resourceType === 'ActivityDefinition' ? def.topic : undefined) ?? null,
        unit:
          truncate(od?.quantitativeDetails?.unit?.coding?.[0]?.code ?? textOf(od?.quantitativeDetails?.unit), 30) ??
          null,
        reference_range_low: normal?.low?.value ?? null,
        reference_range_high: normal?.high?.value ?? null,
        critical_low: critical?.low?.value ?? null,
        critical_high: critical?.high?.value ?? null,
        is_active: def.resourceType === 'ActivityDefinition' ? def.status === 'active' : true,
        deleted_at: null,
      }),
    },
  ];
}
