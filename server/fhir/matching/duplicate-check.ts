/**
 * Probable duplicates of a newly created Patient (REST create, create-on-update, and transaction entries — the
 * HL7 inbound path writes through transactions). Never a merge: the new record is kept as written, and
 * - every candidate graded `probable` or better is recorded as a pair to review: a `Basic` resource (code
 *   possible-duplicate) with a deterministic id per pair, so that a pair is recorded once and a reviewer's
 *   decision on it (status `not-duplicate`) is never reopened; it names both patients in extensions, outside any
 *   patient compartment (a patient-context token does not see it);
 * - the count goes to the metric `nilecare_patient_duplicates_total`;
 * - the caller gets OperationOutcome warnings (code `duplicate`) naming the candidates it may read.
 * Candidates are searched with full access (a duplicate the caller cannot see is still a duplicate).
 */
import { createHash } from 'node:crypto';
import type { Basic, OperationOutcomeIssue, Patient } from '@medplum/fhirtypes';
import { FULL_ACCESS } from '../access-policy.js';
import type { FhirContext } from '../fhir-context.js';
import { mayRead } from '../access/read-access.js';
import { VersionConflictError } from '../../store/resource-store.js';
import { commitVersion, prepareVersion } from '../interactions/commit-version.js';
import type { MatchProfile } from './match-profile.js';
import { matchPatient, type PatientMatch } from './match-patients.js';

export const DUPLICATE_SYSTEM = 'http://nilecare.sd/fhir/CodeSystem/patient-review';
export const DUPLICATE_EXTENSION = 'http://nilecare.sd/fhir/StructureDefinition/possible-duplicate';

/** A probable duplicate the caller may read, with the warning telling it. */
export type DuplicateWarning = { id: string; grade: string; score: number; issue: OperationOutcomeIssue };

export type DuplicateCheck = {
  /** The warnings for the caller (empty when no probable duplicate, or none it may read). */
  check(ctx: FhirContext, created: Patient, source: 'rest' | 'transaction'): Promise<DuplicateWarning[]>;
};

export function duplicateCheck(options: {
  profile: MatchProfile;
  onDetected?: (grade: string, source: string) => void;
  onError?: (error: unknown) => void;
}): DuplicateCheck {
  const { profile } = options;
  return {
    async check(ctx, created, source) {
      if (!created.id) return [];
      const system: FhirContext = { ...ctx, access: { ...FULL_ACCESS, who: 'system (duplicate check)' } };
      let matches: PatientMatch[];
      try {
        matches = (await matchPatient(system, created, profile, { excludeId: created.id, count: 5 })).filter(
          (m) => m.grade === 'certain' || m.grade === 'probable',
        );
      } catch (error) {
        options.onError?.(error); // the create is committed: a failed check must not turn it into an error
        return [];
      }
      const warnings: DuplicateWarning[] = [];
      for (const match of matches) options.onDetected?.(match.grade, source);
      await recordPairs(system, created, matches).catch((error: unknown) => options.onError?.(error));
      for (const match of matches) {
        const other = match.version.resource as Patient;
        if (await mayRead(ctx, other))
          warnings.push({
            id: other.id!,
            grade: match.grade,
            score: match.score,
            issue: {
              severity: 'warning',
              code: 'duplicate',
              diagnostics: `Patient/${created.id} is a ${match.grade} duplicate of Patient/${other.id} (score ${match.score}); nothing was merged: review it in the console or merge explicitly`,
              expression: ['Patient'],
            },
          });
      }
      return warnings;
    },
  };
}

/**
 * The review records of the pairs, written once each (a concurrent or earlier writer wins, a review is never
 * reopened): all in one store write (one statement, one transaction); when one of them exists already (that write
 * is refused as a whole) each is written on its own.
 */
async function recordPairs(ctx: FhirContext, created: Patient, matches: PatientMatch[]): Promise<void> {
  if (matches.length === 0) return;
  const records = matches.map((match) => pairRecord(ctx, created, match));
  try {
    await ctx.store.write(records.map((basic) => prepareVersion(ctx, 'Basic', basic.id!, basic, 0)));
    return;
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    if (records.length === 1) return; // another node recorded it first
  }
  for (const basic of records)
    await commitVersion(ctx, 'Basic', basic.id!, basic, 0).catch((error: unknown) => {
      if (!(error instanceof VersionConflictError)) throw error; // another node recorded it first
    });
}

/** The review record of a pair, with its deterministic id. */
function pairRecord(ctx: FhirContext, created: Patient, match: PatientMatch): Basic {
  const [a, b] = [created.id!, match.version.id].sort() as [string, string];
  const id = `dup-${createHash('sha256').update(`${a}|${b}`).digest('hex').slice(0, 40)}`;
  // no read first: the write of version 1 is refused when the record exists
  return {
    resourceType: 'Basic',
    id,
    code: {
      coding: [{ system: DUPLICATE_SYSTEM, code: 'possible-duplicate', display: 'Possible duplicate patients' }],
    },
    created: ctx.now().toISOString().slice(0, 10),
    extension: [
      {
        url: DUPLICATE_EXTENSION,
        extension: [
          { url: 'patient', valueReference: { reference: `Patient/${a}` } },
          { url: 'patient', valueReference: { reference: `Patient/${b}` } },
          { url: 'score', valueDecimal: match.score },
          { url: 'grade', valueCode: match.grade },
          { url: 'status', valueCode: 'open' },
          { url: 'detected', valueDateTime: ctx.now().toISOString() },
        ],
      },
    ],
  };
}
