/**
 * Hand-made changes written after the Synthea load (issue #17 "done when"), so that the kill -9 and rebuild
 * comparisons cover them too: an invoice paid in part by a PaymentReconciliation, an older ClaimResponse for a claim
 * its ExplanationOfBenefit already settled (the EOB stays the latest), a corrected Claim version, a lab result
 * re-categorised as vital signs, a Claim that fails and its correction, and a Patient merged into another.
 */
import type { Claim, Observation, Patient, Resource } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../../server/store/resource-store.js';
import { fhirWriter } from './fhir-writer.js';

export type HandMade = {
  invoiceId: string;
  claimWithResponse: string;
  correctedClaim: string;
  recategorised: string;
  failedThenFixed: string;
  merged: { from: string; into: string };
};

export async function writeHandMade(store: ResourceStore, loaded: Resource[]): Promise<HandMade> {
  const fhir = fhirWriter(store);
  const claims = loaded.filter((r): r is Claim => r.resourceType === 'Claim');
  const settled = claims.filter((c) =>
    loaded.some(
      (e) =>
        e.resourceType === 'ExplanationOfBenefit' &&
        (e as { claim?: { reference?: string } }).claim?.reference === `Claim/${c.id}`,
    ),
  );
  const [withResponse, corrected] = [settled[0]!, settled[1]!];
  const labResult = loaded.find(
    (r): r is Observation =>
      r.resourceType === 'Observation' && JSON.stringify(r.category ?? []).includes('"laboratory"'),
  )!;
  const patients = loaded.filter((r): r is Patient => r.resourceType === 'Patient');
  const [from, into] = [patients[patients.length - 1]!, patients[0]!];
  const subject = { reference: withResponse.patient.reference };
  await fhir.put(
    {
      resourceType: 'Invoice',
      id: 'synthea-inv-1',
      status: 'issued',
      subject,
      issuer: { reference: 'Organization/9b3c2a4e-3333-4a4a-8a8a-000000000003' },
      date: '2025-03-04',
      lineItem: [
        {
          sequence: 1,
          chargeItemCodeableConcept: { text: 'Admission' },
          priceComponent: [{ type: 'base', amount: { value: 12000, currency: 'SDG' } }],
        },
      ],
    },
    {
      resourceType: 'PaymentReconciliation',
      id: 'synthea-pay-1',
      status: 'active',
      created: '2025-03-05',
      paymentDate: '2025-03-05',
      paymentAmount: { value: 5000, currency: 'SDG' },
      detail: [
        {
          type: { coding: [{ code: 'payment' }] },
          request: { reference: 'Invoice/synthea-inv-1' },
          amount: { value: 5000, currency: 'SDG' },
        },
      ],
    },
    {
      resourceType: 'ClaimResponse',
      id: 'synthea-cr-1',
      status: 'active',
      type: withResponse.type,
      use: 'claim',
      patient: subject,
      created: '1990-01-01T00:00:00Z', // before the EOB: the EOB stays the claim's latest adjudication
      insurer: { display: 'private' },
      request: { reference: `Claim/${withResponse.id}` },
      outcome: 'error',
      error: [{ code: { coding: [{ code: 'a001' }] } }],
    },
    {
      ...corrected,
      supportingInfo: [{ sequence: 99, category: { text: 'note' }, valueString: 'corrected' }],
    },
    {
      ...labResult,
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
      ],
    },
    { ...withResponse, id: 'synthea-bad-claim', type: { coding: [{ code: 'veterinary' }] } },
  );
  await fhir.put({ ...withResponse, id: 'synthea-bad-claim' });
  await fhir.put({
    ...from,
    active: false,
    link: [{ other: { reference: `Patient/${into.id}` }, type: 'replaced-by' }],
  });
  return {
    invoiceId: 'synthea-inv-1',
    claimWithResponse: withResponse.id!,
    correctedClaim: corrected.id!,
    recategorised: labResult.id!,
    failedThenFixed: 'synthea-bad-claim',
    merged: { from: from.id!, into: into.id! },
  };
}
