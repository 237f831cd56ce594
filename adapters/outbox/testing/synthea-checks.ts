/**
 * Row-by-row checks of the projected Synthea load against the FHIR resources that were loaded (written here from
 * the resources, independently of the mappings): claims (status and paid amount from their ExplanationOfBenefit,
 * total, submission instant, lines: charges adding up to the total, procedure code and system, diagnosis codes from
 * the Conditions, ICD-10 where the test's ConceptMap maps them), lab results (status, value, instant, code) and
 * prescriptions (number, status, instant, dose as stated). Each returns the mismatches (empty = all rows right).
 */
import type {
  Claim,
  Condition,
  ConceptMap,
  ExplanationOfBenefit,
  MedicationRequest,
  Observation,
  Resource,
} from '@medplum/fhirtypes';
import type { SqlClient } from '../sql-client.js';

/** A few SNOMED CT codes Synthea uses, mapped to ICD-10 (the test loads this ConceptMap into the FHIR store). */
export const SNOMED_TO_ICD10: Record<string, string> = {
  '38341003': 'I10',
  '444814009': 'J01.90',
  '195662009': 'J02.9',
  '10509002': 'J20.9',
  '44054006': 'E11.9',
  '15777000': 'R73.03',
};

export const TEST_CONCEPT_MAP: ConceptMap = {
  resourceType: 'ConceptMap',
  id: 'snomed-icd10-test',
  url: 'http://nilecare.sd/fhir/ConceptMap/snomed-icd10-test',
  status: 'active',
  group: [
    {
      source: 'http://snomed.info/sct',
      target: 'http://hl7.org/fhir/sid/icd-10',
      element: Object.entries(SNOMED_TO_ICD10).map(([code, icd]) => ({
        code,
        target: [{ code: icd, equivalence: 'equivalent' }],
      })),
    },
  ],
};

const utc = (iso: string | undefined) => (iso ? new Date(iso).toISOString().slice(0, 19).replace('T', ' ') : null);
const money = (v: number | undefined) =>
  v === undefined ? undefined : (Math.round(Number(`${v}e2`)) / 100).toFixed(2);
const byId = (resources: Resource[], type: string) =>
  new Map(resources.filter((r) => r.resourceType === type).map((r) => [r.id!, r]));
const idOf = (ref: string | undefined) => ref?.split('/').pop();

function expectedDiagnoses(claim: Claim, conditions: Map<string, Resource>): Map<number, string> {
  const out = new Map<number, string>();
  for (const d of claim.diagnosis ?? []) {
    const condition = conditions.get(idOf(d.diagnosisReference?.reference) ?? '') as Condition | undefined;
    // The Condition as it was when the Claim was written (loaded earlier): Synthea loads each once.
    if (!condition || condition.meta!.lastUpdated! > claim.meta!.lastUpdated!) continue;
    const c = condition.code?.coding?.[0];
    if (c?.code) out.set(d.sequence, SNOMED_TO_ICD10[c.code] ?? `${c.system}|${c.code}`);
  }
  return out;
}

export async function checkClaims(db: SqlClient, resources: Resource[]): Promise<string[]> {
  const problems: string[] = [];
  const conditions = byId(resources, 'Condition');
  const eobs = new Map(
    resources
      .filter((r): r is ExplanationOfBenefit => r.resourceType === 'ExplanationOfBenefit')
      .map((e) => [idOf(e.claim?.reference)!, e]),
  );
  for (const claim of resources.filter((r): r is Claim => r.resourceType === 'Claim')) {
    const row = (
      await db.query<Record<string, any>>('SELECT * FROM insurance_claims WHERE fhir_id = ?', [claim.id])
    )[0];
    if (!row) {
      problems.push(`Claim/${claim.id}: no row`);
      continue;
    }
    const eob = eobs.get(claim.id!);
    const paid = eob?.payment?.amount?.value ?? 0;
    const want = {
      status: eob ? (paid > 0 ? 'paid' : 'approved') : 'submitted',
      paid_amount: money(paid),
      total_charges: money(claim.total?.value),
      submission_date: utc(claim.created),
      claim_type: claim.type.coding![0]!.code,
    };
    const got = {
      status: row.status,
      paid_amount: row.paid_amount,
      total_charges: row.total_charges,
      submission_date: row.submission_date,
      claim_type: row.claim_type,
    };
    if (JSON.stringify(got) !== JSON.stringify(want))
      problems.push(`Claim/${claim.id}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
    const lines = await db.query<Record<string, any>>(
      'SELECT * FROM claim_line_items WHERE claim_id = ? ORDER BY line_number',
      [row.id],
    );
    const sum = lines.reduce((s, l) => s + Math.round(Number(l.charge_amount) * 100), 0) / 100;
    if (money(sum) !== want.total_charges)
      problems.push(`Claim/${claim.id}: lines add up to ${sum}, total ${want.total_charges}`);
    const diagnoses = expectedDiagnoses(claim, conditions);
    for (const item of claim.item ?? []) {
      const line = lines.find((l) => l.line_number === item.sequence);
      const coding = item.productOrService.coding![0]!;
      const codes = item.diagnosisSequence?.length
        ? item.diagnosisSequence.map((s) => diagnoses.get(s)).filter(Boolean)
        : [...diagnoses.values()];
      const wantLine = [
        coding.code!.length <= 20 ? coding.code : null, // a longer code does not fit procedure_code
        coding.system,
        codes.length ? codes : null,
        item.net ? money(item.net.value) : undefined,
      ];
      const gotCodes = line?.diagnosis_codes
        ? typeof line.diagnosis_codes === 'string'
          ? JSON.parse(line.diagnosis_codes)
          : line.diagnosis_codes
        : null;
      const gotLine = [
        line?.procedure_code,
        line?.procedure_code_system,
        gotCodes,
        item.net ? line?.charge_amount : undefined,
      ];
      if (JSON.stringify(gotLine) !== JSON.stringify(wantLine))
        problems.push(
          `Claim/${claim.id} item ${item.sequence}: ${JSON.stringify(gotLine)} ≠ ${JSON.stringify(wantLine)}`,
        );
    }
  }
  return problems;
}

const RESULT_STATUS: Record<string, string> = { 'entered-in-error': 'entered_in_error' };

export async function checkLabResults(db: SqlClient, resources: Resource[]): Promise<string[]> {
  const problems: string[] = [];
  const lab = resources.filter(
    (r): r is Observation =>
      r.resourceType === 'Observation' && JSON.stringify(r.category ?? []).includes('"laboratory"'),
  );
  for (const obs of lab) {
    const row = (await db.query<Record<string, any>>('SELECT * FROM lab_results WHERE fhir_id = ?', [obs.id]))[0];
    const want = [
      RESULT_STATUS[obs.status] ?? obs.status,
      obs.code.coding![0]!.code,
      obs.valueQuantity?.value === undefined ? null : Number(obs.valueQuantity.value).toFixed(4),
      utc(obs.effectiveDateTime ?? obs.issued),
      `OBS-${obs.id}`,
    ];
    const order = row
      ? (await db.query<Record<string, any>>('SELECT order_number FROM lab_orders WHERE id = ?', [row.order_id]))[0]
      : undefined;
    const got = [
      row?.status,
      row?.component_code,
      row?.value_numeric === null || row?.value_numeric === undefined ? null : Number(row.value_numeric).toFixed(4),
      row?.result_at,
      order?.order_number,
    ];
    if (JSON.stringify(got) !== JSON.stringify(want))
      problems.push(`Observation/${obs.id}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
  }
  return problems;
}

export async function checkPrescriptions(db: SqlClient, resources: Resource[]): Promise<string[]> {
  const problems: string[] = [];
  for (const mr of resources.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest')) {
    const row = (await db.query<Record<string, any>>('SELECT * FROM prescriptions WHERE fhir_id = ?', [mr.id]))[0];
    const dose = mr.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity;
    const want = [
      `RX-${mr.id}`,
      mr.status.replace(/-/g, '_'),
      utc(mr.authoredOn),
      dose?.value === undefined ? null : dose.value.toFixed(3),
    ];
    const got = [row?.prescription_number, row?.status, row?.prescribed_at, row?.dose ?? null];
    if (JSON.stringify(got) !== JSON.stringify(want))
      problems.push(`MedicationRequest/${mr.id}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
  }
  return problems;
}
