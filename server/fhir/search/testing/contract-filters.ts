/**
 * Search suite, part 1: every parameter type and modifier on real data, each result set compared with
 * the FHIRPath oracle. Probe values are taken from the loaded data, never typed-in expected ids.
 */
import { it } from 'node:test';
import type { Observation, Patient } from '@medplum/fhirtypes';
import assert from 'node:assert/strict';
import type { SearchHarness } from './search-harness.js';

export function filterTests(h: () => SearchHarness): void {
  const patient = () =>
    h()
      .sample('Patient')
      .find((p) => p.id!.length > 10) as Patient;
  const firstObservation = (pred: (o: Observation) => boolean) =>
    h()
      .sample('Observation')
      .find((o) => pred(o as Observation)) as Observation;

  it('string: default prefix is case- and accent-insensitive; :exact and :contains', async () => {
    const given = patient().name![0]!.given![0]!;
    await h().expectOracle(['Patient'], [['name', given.slice(0, 3).toUpperCase()]]);
    await h().expectOracle(['Patient'], [['family', 'muller']]); // Müller-Öztürk
    await h().expectOracle(['Patient'], [['given', 'zoe']], 2); // Zoë and Zoe
    await h().expectOracle(['Patient'], [['family:exact', 'Müller-Öztürk']]);
    await h().expectOracle(['Patient'], [['family:exact', 'müller-öztürk']], 0);
    await h().expectOracle(['Patient'], [['name:contains', 'ZTUR']]);
    await h().expectOracle(['Patient'], [['address-city', 'khartoum']]);
    await h().expectOracle(['Organization'], [['name', 'hosp']], 0);
  });

  it('OR by comma with \\, escaping; AND by repetition', async () => {
    await h().expectOracle(['Patient'], [['given', 'Anne\\,Marie']]);
    await h().expectOracle(['Patient'], [['given', 'Anne,Zoe']], 2);
    const p = patient();
    await h().expectOracle(['Patient'], [['family', `${p.name![0]!.family},Mueller`]], 2);
    await h().expectOracle(
      ['Patient'],
      [
        ['given', 'zo'],
        ['family', 'mue'],
      ],
    );
    await h().expectOracle(
      ['Patient'],
      [
        ['gender', 'male,female'],
        ['birthdate', 'ge1980'],
      ],
      1,
    );
  });

  it('token: code, system|code, |code, system|, :not, :text, :of-type', async () => {
    const o = firstObservation((x) => !!x.code?.coding?.[0]?.code);
    const coding = o.code.coding![0]!;
    await h().expectOracle(['Observation'], [['code', `${coding.system}|${coding.code}`]]);
    await h().expectOracle(['Observation'], [['code', coding.code!]]);
    await h().expectOracle(['Observation'], [['code', `${coding.system}|`]], 2);
    await h().expectOracle(['Observation'], [['category', 'laboratory']]);
    await h().expectOracle(['Patient'], [['identifier', '|LOCAL-1']]);
    await h().expectOracle(['Patient'], [['identifier', 'http://nilecare.sd/mrn|MRN-77']]);
    await h().expectOracle(['Patient'], [['gender', 'female']]);
    await h().expectOracle(['Patient'], [['gender:not', 'female']]);
    await h().expectOracle(['Observation'], [['category:not', 'vital-signs']]);
    await h().expectOracle(['Observation'], [['code:text', 'glucose']]);
    await h().expectOracle(
      ['Patient'],
      [['identifier:of-type', 'http://terminology.hl7.org/CodeSystem/v2-0203|MR|MRN-77']],
    );
    const mr = patient().identifier?.find((i) => i.type?.coding?.[0]?.code === 'MR');
    if (mr)
      await h().expectOracle(['Patient'], [['identifier:of-type', `${mr.type!.coding![0]!.system}|MR|${mr.value}`]]);
  });

  it('date: every prefix, partial dates as ranges, Period targets', async () => {
    const born = patient().birthDate!;
    for (const prefix of ['', 'eq', 'ne', 'lt', 'gt', 'le', 'ge', 'sa', 'eb', 'ap']) {
      await h().expectOracle(['Patient'], [['birthdate', `${prefix}${born}`]], 0);
      await h().expectOracle(['Patient'], [['birthdate', `${prefix}${born.slice(0, 4)}`]], 0);
    }
    await h().expectOracle(['Patient'], [['birthdate', '1985-07']], 2);
    await h().expectOracle(
      ['Patient'],
      [
        ['birthdate', 'ge1985-07-15'],
        ['birthdate', 'le1985-07-31'],
      ],
      1,
    );
    const enc = h().sample('Encounter')[0] as { period?: { start?: string } };
    const day = enc.period!.start!.slice(0, 10);
    for (const prefix of ['eq', 'ne', 'lt', 'gt', 'le', 'ge', 'sa', 'eb'])
      await h().expectOracle(['Encounter'], [['date', `${prefix}${day}`]], 1);
    // ranges that straddle the search range tell the prefixes apart (overnight stay, open-ended period)
    for (const prefix of ['eq', 'ne', 'lt', 'gt', 'le', 'ge', 'sa', 'eb', 'ap']) {
      for (const when of ['2024-03-09', '2024-03-10', '2024-03', '2024-03-10T07:00:00Z']) {
        await h().expectOracle(
          ['Encounter'],
          [
            ['date', `${prefix}${when}`],
            ['class', 'IMP'],
          ],
          0,
        );
      }
    }
    await h().expectOracle(['Observation'], [['date', 'eq2025-02-03']], 2);
    await h().expectOracle(['Observation'], [['date', 'ge2025-02-03T05:30:00Z']], 1);
    await h().expectOracle(
      ['Observation'],
      [
        ['date', 'lt2025-02-03T05:30:00Z'],
        ['code', '2339-0'],
      ],
      1,
    );
    await h().expectOracle(['Immunization'], [['date', 'ap2015']], 0);
  });

  it('number: prefixes with implicit precision', async () => {
    for (const v of [
      '0.15',
      '0.1',
      '0.2',
      'gt0.4',
      'lt0.5',
      'ge0.42',
      'le0.15',
      'ne0.42',
      'ap0.8',
      'sa0.5',
      'eb0.2',
      '1e-1',
    ]) {
      await h().expectOracle(['RiskAssessment'], [['probability', v]], 0);
    }
    await h().expectOracle(['RiskAssessment'], [['probability', 'gt0.1']], 2);
  });

  it('quantity: prefixes, value|system|code, value||unit, UCUM conversion', async () => {
    const weight = firstObservation((x) => x.code?.coding?.[0]?.code === '29463-7' && !!x.valueQuantity);
    const kg = weight.valueQuantity!.value!;
    for (const prefix of ['', 'gt', 'lt', 'ge', 'le', 'ne', 'ap']) {
      await h().expectOracle(['Observation'], [['value-quantity', `${prefix}${kg}`]], 0);
      // restricted to body weights: ucum.ts has no canonical form for some Synthea units (pg, fL, …)
      await h().expectOracle(
        ['Observation'],
        [
          ['value-quantity', `${prefix}${kg}|http://unitsofmeasure.org|kg`],
          ['code', '29463-7'],
        ],
        0,
      );
    }
    await h().expectOracle(
      ['Observation'],
      [
        ['value-quantity', `ge${Math.floor(kg * 1000)}|http://unitsofmeasure.org|g`],
        ['code', '29463-7'],
      ],
    );
    await h().expectOracle(['Observation'], [['value-quantity', 'gt1|http://unitsofmeasure.org|g/L']], 1); // 120 mg/dL = 1.2 g/L
    await h().expectOracle(['Observation'], [['value-quantity', '120||mg/dL']]);
    await h().expectOracle(['Observation'], [['value-quantity', '3||parasites']]);
  });

  it('reference: Type/id, bare id, absolute URL of this server, :Type, :identifier', async () => {
    const p = patient();
    await h().expectOracle(['Observation'], [['subject', `Patient/${p.id}`]]);
    await h().expectOracle(['Observation'], [['subject', p.id!]]);
    await h().expectOracle(['Observation'], [['patient', p.id!]]);
    await h().expectOracle(['Observation'], [['subject', `http://nilecare.test/fhir/Patient/${p.id}`]]);
    await h().expectOracle(['Observation'], [['subject:Patient', p.id!]]);
    await h().expectOracle(
      ['Encounter'],
      [
        ['subject', `Patient/${p.id}`],
        ['_count', '3'],
      ],
    );
    await h().expectOracle(['Observation'], [['subject:identifier', 'http://nilecare.sd/mrn|MRN-77']]);
    await h().expectOracle(['Observation'], [['subject', 'Patient/does-not-exist']], 0);
  });

  it('a record and codes in it (patient with code, date, :not; paged and sorted): led by the reference', async () => {
    // the PostgreSQL store drives these from the patient's entries and probes the codes first (led-rows.ts)
    const o = firstObservation((x) => !!x.subject?.reference?.startsWith('Patient/') && !!x.effectiveDateTime);
    const patientId = o.subject!.reference!.split('/')[1]!;
    const coding = o.code.coding![0]!;
    const year = Number(o.effectiveDateTime!.slice(0, 4));
    await h().expectOracle(
      ['Observation'],
      [
        ['patient', patientId],
        ['code', `${coding.system}|${coding.code}`],
      ],
    );
    await h().expectOracle(
      ['Observation'],
      [
        ['subject', `Patient/${patientId}`],
        ['code', `${coding.system}|${coding.code},http://loinc.org|8302-2`],
        ['date', `ge${year - 1}-01-01`],
        ['date', `lt${year + 1}-01-01`],
      ],
    );
    await h().expectOracle(
      ['Observation'],
      [
        ['patient', patientId],
        ['category', 'laboratory,vital-signs'],
        ['code:not', `${coding.system}|${coding.code}`],
        ['status', 'final'],
      ],
    );
    // two patients, and the subject as an absolute URL of this server (the PostgreSQL store reads the candidates of
    // a subject and a system|code from fhir_lastn, led-rows.ts)
    const other = firstObservation(
      (x) => !!x.subject?.reference?.startsWith('Patient/') && x.subject.reference !== o.subject!.reference,
    );
    await h().expectOracle(
      ['Observation'],
      [
        ['patient', `${patientId},${other.subject!.reference!.split('/')[1]!}`],
        ['code', `${coding.system}|${coding.code},${other.code.coding![0]!.system}|${other.code.coding![0]!.code}`],
      ],
    );
    await h().expectOracle(
      ['Observation'],
      [
        ['subject', `http://nilecare.test/fhir/Patient/${patientId}`],
        ['code', `${coding.system}|${coding.code}`],
      ],
    );
    for (const sort of [undefined, '-date']) {
      const params: Array<[string, string]> = [
        ['patient', patientId],
        ['category', 'laboratory,vital-signs'],
        ...(sort ? [['_sort', sort] as [string, string]] : []),
        ['_count', '4'],
      ];
      const { keys, pages } = await h().collect(['Observation'], params);
      assert.ok(pages.length >= 3, 'several pages');
      assert.equal(new Set(keys).size, keys.length, 'no resource is returned twice');
      assert.deepEqual([...keys].sort(), h().oracle.search(['Observation'], params));
    }
  });

  it('uri: equality, :above, :below; _profile and _source', async () => {
    await h().expectOracle(['ValueSet'], [['url', 'http://nilecare.sd/fhir/ValueSet/lab']]);
    await h().expectOracle(['ValueSet'], [['url:below', 'http://nilecare.sd/fhir/ValueSet/lab']], 2);
    await h().expectOracle(['ValueSet'], [['url:above', 'http://nilecare.sd/fhir/ValueSet/lab/cbc/v2']], 2);
    await h().expectOracle(['Patient'], [['_profile', 'http://nilecare.sd/fhir/StructureDefinition/nilecare-patient']]);
    await h().expectOracle(['Patient'], [['_source', 'http://nilecare.sd/his#batch-7']]);
  });

  it('composite: code-value-quantity and component-code-value-quantity', async () => {
    const weight = firstObservation((x) => x.code?.coding?.[0]?.code === '29463-7' && !!x.valueQuantity);
    await h().expectOracle(
      ['Observation'],
      [['code-value-quantity', `http://loinc.org|29463-7$ge${weight.valueQuantity!.value}`]],
    );
    await h().expectOracle(['Observation'], [['code-value-quantity', 'http://loinc.org|29463-7$gt10000']], 0);
    await h().expectOracle(['Observation'], [['component-code-value-quantity', 'http://loinc.org|8480-6$gt100']], 1);
    await h().expectOracle(
      ['Observation'],
      [['component-code-value-quantity', 'http://loinc.org|8462-4$lt90,http://loinc.org|8480-6$gt140']],
      1,
    );
  });

  it('_id, _lastUpdated, _tag, _security', async () => {
    const [a, b] = h().sample('Patient');
    await h().expectOracle(['Patient'], [['_id', `${a!.id},${b!.id}`]], 2);
    const t = a!.meta!.lastUpdated!;
    for (const prefix of ['', 'gt', 'lt', 'ge', 'le', 'ne', 'sa', 'eb'])
      await h().expectOracle(['Patient'], [['_lastUpdated', `${prefix}${t}`]], 1);
    await h().expectOracle(['Observation'], [['_lastUpdated', 'ge2025']], 1);
    await h().expectOracle(['Patient'], [['_tag', 'https://smarthealthit.org/tags|synthea-5-2019']]);
    await h().expectOracle(['Patient'], [['_tag', 'imported']]);
    await h().expectOracle(['Patient'], [['_security', 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R']]);
  });

  it(':missing on every parameter type', async () => {
    for (const v of ['true', 'false']) {
      await h().expectOracle(['Observation'], [['value-quantity:missing', v]]);
      await h().expectOracle(['RiskAssessment'], [['probability:missing', v]]);
      await h().expectOracle(['Patient'], [['address-city:missing', v]], 0);
      await h().expectOracle(['Patient'], [['identifier:missing', v]], 0);
      await h().expectOracle(['Patient'], [['general-practitioner:missing', v]], 0);
      await h().expectOracle(['Observation'], [['date:missing', v]]);
      await h().expectOracle(['ValueSet'], [['url:missing', v]], 0);
      await h().expectOracle(['Observation'], [['code-value-quantity:missing', v]], 0);
    }
  });
}
