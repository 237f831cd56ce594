/**
 * The documents document-search-contract.ts searches (ids say what each one is for). Instants and periods, in UTC:
 *
 * | id           | status           | subject             | type (LOINC)     | date (UTC)              | period                 |
 * |--------------|------------------|---------------------|------------------|-------------------------|------------------------|
 * | d-discharge  | current          | Patient/pa          | 18842-5          | 2026-03-01T07:00Z       | 2026-02-20..2026-02-28 |
 * | d-consult    | superseded       | Patient/pa          | 11488-4 + local  | 2026-03-05T08:00Z       | 2026-03-01T08:00Z..    |
 * | d-addendum   | current          | Patient/pb          | 55107-7          | 2026-04-01T12:00Z       | ..2025-05-31           |
 * | d-absolute   | current          | <base>/Patient/pa   | 18842-5          | 2026-03-20T00:00Z       | —                      |
 * | d-scan       | current          | Patient/pa          | 59284-0          | 2026-03-10T21:59:59.25Z | —                      |
 * | d-group      | current          | Group/ward-7        | 34133-9          | 2026-02-01T09:00Z       | 2025..2025             |
 * | d-no-subject | current          | —                   | 34133-9          | 2026-01-15T09:00Z       | —                      |
 * | d-mistake    | entered-in-error | Patient/pa          | 11506-3          | —                       | 2026-01-10 10:00-11:00 |
 * | d-text-type  | current          | Patient/pb          | text only        | 2025-12-24T16:30Z       | —                      |
 *
 * relatesTo: d-consult appends d-discharge; d-addendum replaces d-consult and appends d-discharge; d-text-type
 * transforms <base>/DocumentReference/d-scan and signs a document known only by identifier (legacy-42).
 */
import type { DocumentReference, Resource } from '@medplum/fhirtypes';

export const LOINC = 'http://loinc.org';
export const CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category';
const LOCAL_CATEGORY = 'http://nilecare.sd/document-category';

const loinc = (code: string, display: string) => ({ coding: [{ system: LOINC, code, display }] });
const clinicalNote = [{ coding: [{ system: CATEGORY, code: 'clinical-note', display: 'Clinical Note' }] }];
const pdf = (name: string) => [
  { attachment: { contentType: 'application/pdf', url: `https://archive.nilecare.sd/documents/${name}.pdf` } },
];

function doc(id: string, fields: Omit<DocumentReference, 'resourceType' | 'id' | 'content'>): DocumentReference {
  return { resourceType: 'DocumentReference', id, ...fields, content: pdf(id) };
}

export function documentSearchData(base: string): Resource[] {
  return [
    { resourceType: 'Patient', id: 'pa', name: [{ family: 'Osman', given: ['Amna'] }] },
    { resourceType: 'Patient', id: 'pb', name: [{ family: 'Hassan', given: ['Bakri'] }] },
    { resourceType: 'Group', id: 'ward-7', type: 'person', actual: true, name: 'Ward 7 morning round' },
    doc('d-discharge', {
      status: 'current',
      subject: { reference: 'Patient/pa' },
      type: loinc('18842-5', 'Discharge summary'),
      category: clinicalNote,
      date: '2026-03-01T10:00:00+03:00',
      context: { period: { start: '2026-02-20', end: '2026-02-28' } },
    }),
    doc('d-consult', {
      status: 'superseded',
      subject: { reference: 'Patient/pa' },
      type: {
        coding: [
          { system: LOINC, code: '11488-4', display: 'Consult note' },
          { system: 'http://nilecare.sd/document-type', code: 'CONSULT-AR', display: 'استشارة' },
        ],
        text: 'Consult note',
      },
      category: clinicalNote,
      date: '2026-03-05T08:00:00Z',
      context: { period: { start: '2026-03-01T08:00:00Z' } },
      relatesTo: [{ code: 'appends', target: { reference: 'DocumentReference/d-discharge' } }],
    }),
    doc('d-addendum', {
      status: 'current',
      subject: { reference: 'Patient/pb' },
      type: loinc('55107-7', 'Addendum Document'),
      category: clinicalNote,
      date: '2026-04-01T12:00:00Z',
      context: { period: { end: '2025-05-31' } },
      relatesTo: [
        { code: 'replaces', target: { reference: 'DocumentReference/d-consult' } },
        { code: 'appends', target: { reference: 'DocumentReference/d-discharge' } },
      ],
    }),
    doc('d-absolute', {
      status: 'current',
      subject: { reference: `${base}/Patient/pa` },
      type: loinc('18842-5', 'Discharge summary'),
      category: clinicalNote,
      date: '2026-03-20T00:00:00Z',
    }),
    {
      resourceType: 'DocumentReference',
      id: 'd-scan',
      status: 'current',
      subject: { reference: 'Patient/pa' },
      type: loinc('59284-0', 'Consent Document'),
      category: [
        { coding: [{ system: LOCAL_CATEGORY, code: 'scanned-consent' }] },
        {
          coding: [
            { system: LOCAL_CATEGORY, code: 'imaging' },
            { system: 'http://snomed.info/sct', code: '363679005', display: 'Imaging' },
          ],
        },
      ],
      date: '2026-03-10T23:59:59.250+02:00',
      content: [
        {
          attachment: {
            contentType: 'image/jpeg',
            data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]).toString('base64'),
            title: 'consent-signed.jpg',
          },
        },
      ],
    },
    doc('d-group', {
      status: 'current',
      subject: { reference: 'Group/ward-7' },
      type: loinc('34133-9', 'Summary of episode note'),
      category: [{ coding: [{ system: LOCAL_CATEGORY, code: 'ward-round' }] }],
      date: '2026-02-01T09:00:00Z',
      context: { period: { start: '2025', end: '2025' } },
    }),
    doc('d-no-subject', {
      status: 'current',
      type: loinc('34133-9', 'Summary of episode note'),
      date: '2026-01-15T09:00:00Z',
    }),
    doc('d-mistake', {
      status: 'entered-in-error',
      subject: { reference: 'Patient/pa' },
      type: loinc('11506-3', 'Progress note'),
      category: clinicalNote,
      context: { period: { start: '2026-01-10T10:00:00Z', end: '2026-01-10T11:00:00Z' } },
    }),
    doc('d-text-type', {
      status: 'current',
      subject: { reference: 'Patient/pb' },
      type: { text: 'Letter from referring clinic' },
      category: clinicalNote,
      date: '2025-12-24T18:30:00+02:00',
      relatesTo: [
        { code: 'transforms', target: { reference: `${base}/DocumentReference/d-scan` } },
        { code: 'signs', target: { identifier: { system: 'http://nilecare.sd/legacy-docs', value: 'legacy-42' } } },
      ],
    }),
  ];
}
