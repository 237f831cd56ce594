/**
 * What the billing mappings share: code systems, FHIR → nilecare_billing status tables, and the patient of a
 * billing resource (merges followed). Status tables are data: FHIR code → ENUM value of the schema.
 */
import type { Reference } from '@medplum/fhirtypes';
import type { MapInputs } from '../outbox/projection.js';
import { requiredPatientColumn } from '../outbox/patient-merge.js';

export const ICD10 = /^http:\/\/hl7\.org\/fhir\/sid\/icd-10/;
export const CPT = 'http://www.ama-assn.org/go/cpt';
export const HCPCS = /hcpcs/i;
export const isCptOrHcpcs = (system: string | undefined) => system === CPT || HCPCS.test(system ?? '');

/** The currency of the first amount that states one (SDG, the hospital's currency, when none does). */
export function currencyOf(...money: Array<{ currency?: string } | undefined>): string {
  return money.find((m) => m?.currency)?.currency ?? 'SDG';
}

/** The patient_id of a billing resource (the survivor's id when the Patient was merged). */
export function billingPatient(ref: Reference | undefined, what: string, inputs: Pick<MapInputs, 'survivors'>): string {
  return requiredPatientColumn(ref, what, inputs.survivors);
}

/**
 * Money as DECIMAL(12,2) stores it: the number's decimal text rounded half away from zero to cents, as the
 * database rounds it (687.2800000000001 → 687.28, 1.005 → 1.01), so that sums made here agree with the database's.
 */
export function cents(value: number | undefined): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const text = String(Math.abs(value));
  const scaled = /e/i.test(text) ? Math.abs(value) * 100 : Number(`${text}e2`); // "1.005e2" is exactly 100.5
  const rounded = Math.round(scaled) / 100;
  return value < 0 ? -rounded : rounded;
}

export const CLAIM_TYPES = {
  professional: 'CMS1500',
  institutional: 'UB04',
  oral: 'EDI_837D',
  pharmacy: 'NCPDP',
  vision: 'CMS1500',
} as const;

/** Claim.status → insurance_claims.status before any adjudication. */
export const CLAIM_STATUS = {
  active: 'submitted',
  draft: 'draft',
  cancelled: 'cancelled',
  'entered-in-error': 'cancelled',
} as const;

export const INVOICE_STATUS = {
  draft: 'draft',
  issued: 'pending',
  balanced: 'paid',
  cancelled: 'cancelled',
  'entered-in-error': 'void',
} as const;

export const ACCOUNT_STATUS = {
  active: 'active',
  inactive: 'inactive',
  'entered-in-error': 'closed',
  'on-hold': 'suspended',
  unknown: 'active',
} as const;

/** Tables with a patient column, for merges (Patient.link replaced-by). */
export const BILLING_PATIENT_TABLES = {
  invoices: 'patient_id',
  insurance_claims: 'patient_id',
  billing_accounts: 'patient_id',
} as const;
