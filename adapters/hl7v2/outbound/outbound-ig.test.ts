/**
 * Outbound per the IG and issue 16 item 12: a standalone final Observation goes as ORU^R01 (compared with the
 * corpus fhir-to-v2 pair from FHIR-Converter), a report's ORU carries its visit (PV1-19), attending doctor (PV1-7)
 * and order numbers (OBR-2/OBR-3), OBX-8 uses table 0078 codes, MSH-4 comes from the endpoint, and person-only
 * changes are A28/A31.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { planOutbound } from './plan-outbound.js';
import { OruBuilder } from './oru-builder.js';
import { parseMessage } from '../parser/parse-message.js';
import { CORPUS } from '../testing/corpus.js';

const oru = new OruBuilder();
const change = (resourceType: string, id: string, versionId = 1) => ({
  seq: 1,
  resourceType,
  id,
  versionId,
  deleted: false,
  lastUpdated: '2026-03-01T00:00:00Z',
});
const reader = (resources: Resource[]) => {
  const byKey = new Map(resources.map((r) => [`${r.resourceType}/${r.id}`, r]));
  return async (t: string, id: string) => byKey.get(`${t}/${id}`);
};
const V3 = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

describe('outbound per the IG (issue 16 item 12)', () => {
  it('a standalone final Observation is an ORU^R01 matching the corpus fhir-to-v2 pair', async (t) => {
    const dir = join(CORPUS, 'fhir-to-v2', 'ms-fhir-converter');
    if (!existsSync(join(dir, 'ObservationBundle.json'))) {
      t.skip('corpus absent');
      return;
    }
    const bundle = JSON.parse(
      readFileSync(join(dir, 'ObservationBundle.json'), 'utf8').replace(/^\uFEFF/, ''),
    ) as Bundle;
    const resources = (bundle.entry ?? []).map((e) => e.resource!).filter(Boolean);
    const obs = resources.find((r) => r.resourceType === 'Observation')!;
    const [msg] = await planOutbound(change('Observation', obs.id!), reader(resources), oru, { sendingFacility: 'NC' });
    assert.ok(msg, 'planned');
    assert.equal(msg.type, 'ORU^R01');
    const ours = parseMessage(msg.text);
    const expected = parseMessage(readFileSync(join(dir, 'ObservationBundle-expected.hl7'), 'utf8'));
    for (const path of [
      'MSH-9.1',
      'MSH-9.2',
      'PID-3.1',
      'OBR-3',
      'OBX-3.1',
      'OBX-5',
      'OBX-6.1',
      'OBX-7',
      'OBX-8.1',
      'OBX-11',
    ])
      assert.equal(ours.get(path).toLowerCase(), expected.get(path).toLowerCase(), path);
    assert.equal(ours.get('MSH-4'), 'NC', 'MSH-4 from the endpoint (interface_configs.sending_facility)');
  });

  it('an Observation that a report lists is not sent on its own; a preliminary one is not sent', async () => {
    const o = {
      resourceType: 'Observation',
      id: 'o1',
      status: 'final',
      subject: { reference: 'Patient/p1' },
      code: { text: 'x' },
    } as Resource;
    const p = { resourceType: 'Patient', id: 'p1', identifier: [{ value: 'M1' }] } as Resource;
    assert.deepEqual(await planOutbound(change('Observation', 'o1'), reader([o, p]), oru, {}, async () => true), []);
    const pre = { ...o, status: 'preliminary' } as Resource;
    assert.deepEqual(await planOutbound(change('Observation', 'o1'), reader([pre, p]), oru, {}), []);
  });

  it("a report's ORU carries its visit, attending doctor, order numbers and 0078 interpretation codes", async () => {
    const resources: Resource[] = [
      { resourceType: 'Patient', id: 'p1', identifier: [{ value: 'M1' }] },
      {
        resourceType: 'Encounter',
        id: 'e1',
        status: 'in-progress',
        class: { code: 'IMP' },
        subject: { reference: 'Patient/p1' },
        identifier: [{ system: 'urn:nilecare:v2:namespace:KTH', value: 'V-9' }],
        participant: [
          {
            type: [{ coding: [{ code: 'ATND' }] }],
            individual: { reference: 'Practitioner/d1', identifier: { value: 'D77' }, display: 'Ali Hassan' },
          },
        ],
      },
      {
        resourceType: 'ServiceRequest',
        id: 's1',
        status: 'active',
        intent: 'order',
        subject: { reference: 'Patient/p1' },
        identifier: [{ value: 'PLC-1', type: { coding: [{ code: 'PLAC' }] } }],
      },
      {
        resourceType: 'Observation',
        id: 'o1',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
        valueQuantity: { value: 17, unit: 'g/dL' },
        interpretation: [{ coding: [{ system: V3, code: 'H', display: 'High' }] }],
      },
      {
        resourceType: 'DiagnosticReport',
        id: 'r1',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '58410-2' }] },
        subject: { reference: 'Patient/p1' },
        encounter: { reference: 'Encounter/e1' },
        basedOn: [{ reference: 'ServiceRequest/s1' }],
        identifier: [{ value: 'FIL-1', type: { coding: [{ code: 'FILL' }] } }],
        result: [{ reference: 'Observation/o1' }],
      },
    ];
    const [msg] = await planOutbound(change('DiagnosticReport', 'r1'), reader(resources), oru, {});
    const m = parseMessage(msg!.text);
    assert.deepEqual(
      ['PV1-2', 'PV1-19.1', 'PV1-7.1', 'PV1-7.2', 'OBR-2', 'OBR-3', 'OBX-8.1', 'OBX-8.3'].map((p) => m.get(p)),
      ['I', 'V-9', 'D77', 'Hassan', 'PLC-1', 'FIL-1', 'H', 'HL70078'],
    );
    assert.doesNotMatch(m.get('OBX-8'), /http/);
  });
});
