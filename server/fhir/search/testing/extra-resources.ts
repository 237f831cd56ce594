/**
 * A handful of hand-written resources for cases the Synthea data does not exercise (accents, escaped
 * commas, identifiers without system, meta.security/source/profile, number parameters, uri hierarchies,
 * logical references, UCUM conversions). They are searched like everything else and checked against the
 * oracle; none of their expected results is written down.
 */
import type { Resource } from '@medplum/fhirtypes';

export const EXTRA_BASE_TIME = Date.UTC(2025, 5, 1);

export function extraResources(patientIds: string[]): Resource[] {
  const [p1, p2] = patientIds as [string, string];
  const list: Array<Record<string, unknown>> = [
    {
      resourceType: 'Patient',
      id: 'x-accent',
      gender: 'female',
      birthDate: '1985-07',
      name: [{ family: 'Müller-Öztürk', given: ['Zoë', 'Anne,Marie'] }],
      identifier: [
        { value: 'LOCAL-1' },
        {
          system: 'http://nilecare.sd/mrn',
          value: 'MRN-77',
          type: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }],
            text: 'Medical record number',
          },
        },
      ],
      address: [{ city: 'Omdurman', country: 'SD' }],
      meta: {
        security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
        source: 'http://nilecare.sd/his#batch-7',
        profile: ['http://nilecare.sd/fhir/StructureDefinition/nilecare-patient'],
        tag: [{ system: 'http://nilecare.sd/tags', code: 'imported' }],
      },
    },
    {
      resourceType: 'Patient',
      id: 'x-plain',
      gender: 'male',
      birthDate: '1985-07-20',
      name: [{ family: 'Mueller', given: ['Zoe'] }],
      address: [{ city: 'Khartoum North', country: 'SD' }],
    },
    {
      resourceType: 'RiskAssessment',
      id: 'x-risk-1',
      status: 'final',
      subject: { reference: `Patient/${p1}` },
      prediction: [{ probabilityDecimal: 0.15 }, { probabilityDecimal: 0.8 }],
    },
    {
      resourceType: 'RiskAssessment',
      id: 'x-risk-2',
      status: 'final',
      subject: { reference: `Patient/${p2}` },
      prediction: [{ probabilityDecimal: 0.42 }],
    },
    { resourceType: 'RiskAssessment', id: 'x-risk-3', status: 'final', subject: { reference: `Patient/${p2}` } },
    {
      resourceType: 'Observation',
      id: 'x-glucose-mg',
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] },
      ],
      code: {
        coding: [{ system: 'http://loinc.org', code: '2339-0', display: 'Glucose [Mass/volume] in Blood' }],
        text: 'Glucose',
      },
      subject: { reference: `Patient/${p1}` },
      effectiveDateTime: '2025-02-03T08:30:00+03:00',
      valueQuantity: { value: 120, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
    },
    {
      resourceType: 'Observation',
      id: 'x-glucose-gl',
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
      subject: { reference: `Patient/${p2}` },
      effectiveDateTime: '2025-02-03',
      valueQuantity: { value: 0.9, unit: 'g/L', system: 'http://unitsofmeasure.org', code: 'g/L' },
    },
    {
      resourceType: 'Observation',
      id: 'x-logical',
      status: 'preliminary',
      code: { text: 'Malaria smear' },
      subject: { identifier: { system: 'http://nilecare.sd/mrn', value: 'MRN-77' } },
      valueQuantity: { value: 3, unit: 'parasites' },
    },
    {
      resourceType: 'Encounter',
      id: 'x-enc-night',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      subject: { reference: `Patient/${p1}` },
      period: { start: '2024-03-09T20:00:00Z', end: '2024-03-10T06:00:00Z' },
    },
    {
      resourceType: 'Encounter',
      id: 'x-enc-open',
      status: 'in-progress',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      subject: { reference: `Patient/${p2}` },
      period: { start: '2024-03-10T09:15:00+02:00' },
    },
    { resourceType: 'ValueSet', id: 'x-vs-lab', status: 'active', url: 'http://nilecare.sd/fhir/ValueSet/lab' },
    { resourceType: 'ValueSet', id: 'x-vs-cbc', status: 'active', url: 'http://nilecare.sd/fhir/ValueSet/lab/cbc' },
    { resourceType: 'ValueSet', id: 'x-vs-other', status: 'draft', url: 'http://example.org/fhir/ValueSet/other' },
  ];
  return list.map((r, i) => ({
    ...r,
    meta: {
      ...((r.meta as object) ?? {}),
      versionId: '1',
      lastUpdated: new Date(EXTRA_BASE_TIME + i * 60_000).toISOString(),
    },
  })) as unknown as Resource[];
}
