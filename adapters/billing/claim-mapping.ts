/**
 * Claim → insurance_claims + claim_line_items (pure). Lines carry their charge (net, else unitPrice × quantity ×
 * factor; a claim total left over by the priced lines is the charge of the unpriced encounter line), the procedure
 * code with its code system (a code longer than the column — Synthea writes 36-character "SNOMED" codes — is left
 * NULL rather than cut), and the diagnosis codes they point at: ICD-10 as such, other codes (SNOMED CT …)
 * translated to ICD-10 where a ConceptMap maps them, else kept as `system|code`. Diagnoses given by reference are
 * the Condition's codes as they were when this Claim version was written. The claim's status and amounts after
 * adjudication are derived from its ClaimResponses / ExplanationOfBenefits (claim_adjudications).
 */
import type { Claim, ClaimItem, CodeableConcept } from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import {
  businessNumber,
  codingOf,
  MappingError,
  parseReference,
  row,
  sqlDateTime,
  stableUuid,
  truncate,
  type Row,
  type RowWrite,
} from '../outbox/rows.js';
import { refreshClaimFromAdjudications } from './billing-derived.js';
import { billingPatient, cents, CLAIM_STATUS, CLAIM_TYPES, currencyOf, ICD10, isCptOrHcpcs } from './billing-codes.js';

/** The code of one diagnosis: ICD-10 where stated or mapped, else `system|code` of its first coding. */
export function diagnosisCode(
  concept: CodeableConcept | undefined,
  inputs: Pick<MapInputs, 'translate'>,
): string | undefined {
  const codings = (concept?.coding ?? []).filter((c) => c.code);
  const icd = codings.find((c) => ICD10.test(c.system ?? ''));
  if (icd) return icd.code;
  for (const c of codings) {
    const mapped = inputs.translate(c.system, c.code, ICD10);
    if (mapped) return mapped.code;
  }
  const first = codings[0];
  return first ? (first.system ? `${first.system}|${first.code}` : first.code) : undefined;
}

/** The Conditions a Claim's diagnoses refer to (read as of the Claim version). */
export function claimReferences(claim: Claim): string[] {
  return (claim.diagnosis ?? [])
    .map((d) => parseReference(d.diagnosisReference?.reference))
    .filter((r) => r?.type === 'Condition')
    .map((r) => `Condition/${r!.id}`);
}

function stated(item: ClaimItem): number | undefined {
  if (item.net?.value !== undefined) return item.net.value;
  if (item.unitPrice?.value === undefined) return undefined;
  return item.unitPrice.value * (item.quantity?.value ?? 1) * (item.factor ?? 1);
}

/** Charges per line: stated, or (for the one unpriced encounter line) what the claim total leaves over. */
export function lineCharges(claim: Claim): number[] {
  const items = claim.item ?? [];
  const charges = items.map((i) => cents(stated(i)));
  const unpriced = items.map((item, i) => ({ item, i })).filter(({ i }) => charges[i] === undefined);
  const priced = charges.reduce<number>((s, c) => s + (c ?? 0), 0);
  const left = claim.total?.value === undefined ? undefined : cents(claim.total.value - priced)!;
  const carrier = unpriced.filter(({ item }) => (item.encounter ?? []).length > 0);
  const target = carrier.length === 1 ? carrier[0] : unpriced.length === 1 ? unpriced[0] : undefined;
  return charges.map((c, i) => c ?? (target?.i === i && left !== undefined && left > 0 ? left : 0));
}

export function mapClaim(claim: Claim, version: number, inputs: MapInputs): RowWrite[] {
  const what = `Claim/${claim.id}`;
  const patient = billingPatient(claim.patient, what, inputs);
  const typeCode = codingOf(claim.type)?.code as keyof typeof CLAIM_TYPES | undefined;
  if (!typeCode || !(typeCode in CLAIM_TYPES))
    throw new MappingError(`${what}: unknown claim type ${typeCode ?? '(none)'}`);
  const claimId = stableUuid(what);
  const diagnoses = new Map<number, string>();
  for (const d of claim.diagnosis ?? []) {
    const ref = parseReference(d.diagnosisReference?.reference);
    const concept =
      d.diagnosisCodeableConcept ??
      (ref ? (inputs.asOf.get(`${ref.type}/${ref.id}`) as { code?: CodeableConcept } | undefined)?.code : undefined);
    const code = diagnosisCode(concept, inputs);
    if (code) diagnoses.set(d.sequence, code);
  }
  const charges = lineCharges(claim);
  const lines: Row[] = (claim.item ?? []).map((item, i) => {
    const codings = item.productOrService?.coding ?? [];
    const procedure = codings.find((c) => isCptOrHcpcs(c.system) && c.code) ?? codings.find((c) => c.code);
    // A code longer than procedure_code (20) is not cut short (that would be another code): NULL, its system kept.
    const fits = (procedure?.code?.length ?? 0) <= 20;
    const pointed = (item.diagnosisSequence ?? []).map((s) => diagnoses.get(s)).filter((c): c is string => !!c);
    const codes = item.diagnosisSequence?.length ? pointed : [...diagnoses.values()];
    return row({
      id: stableUuid(`${what}/item/${item.sequence ?? i + 1}`),
      line_number: item.sequence ?? i + 1,
      procedure_code: fits ? (procedure?.code ?? null) : null,
      procedure_code_system: truncate(procedure?.system, 255) ?? null,
      diagnosis_codes: codes.length ? JSON.stringify(codes) : null,
      charge_amount: charges[i]!,
    });
  });
  const total = cents(claim.total?.value) ?? cents(charges.reduce((s, c) => s + c, 0))!;
  const insurance = claim.insurance?.find((x) => x.focal) ?? claim.insurance?.[0];
  return [
    {
      op: 'upsert',
      table: 'insurance_claims',
      fhirId: claim.id!,
      version,
      id: claimId,
      values: row({
        claim_number: businessNumber('CLM', claim.created, what),
        patient_id: patient,
        insurer_id:
          truncate(
            parseReference(claim.insurer?.reference)?.id ??
              insurance?.coverage?.display ??
              parseReference(insurance?.coverage?.reference)?.id,
            100,
          ) ?? null,
        policy_number: truncate(insurance?.identifier?.value, 100) ?? null,
        claim_type: typeCode === 'oral' ? 'dental' : typeCode,
        claim_format: CLAIM_TYPES[typeCode],
        // The claim's own status; an adjudication (derived below) replaces 'submitted'.
        status: CLAIM_STATUS[claim.status] ?? 'submitted',
        total_charges: total,
        submission_date: sqlDateTime(claim.created) ?? null,
        currency: currencyOf(claim.total, ...(claim.item ?? []).map((i) => i.net ?? i.unitPrice)),
        deleted_at: null,
      }),
    },
    { op: 'replaceChildren', table: 'claim_line_items', parentColumn: 'claim_id', parent: claimId, rows: lines },
    refreshClaimFromAdjudications(claim.id!),
  ];
}
