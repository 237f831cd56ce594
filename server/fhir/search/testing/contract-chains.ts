/** Search suite, part 2: chained parameters (typed, untyped, multi-level) and _has (nested). */
import { it } from 'node:test';
import type { Patient } from '@medplum/fhirtypes';
import type { SearchHarness } from './search-harness.js';

export function chainTests(h: () => SearchHarness): void {
  const patient = () =>
    h()
      .sample('Patient')
      .find((p) => p.id!.length > 10) as Patient;

  it('chain with an explicit target type and with the targets of the parameter', async () => {
    const family = patient().name![0]!.family!;
    await h().expectOracle(['Observation'], [['subject:Patient.family', family]]);
    await h().expectOracle(['Observation'], [['subject.family', family]]);
    await h().expectOracle(['Observation'], [['patient.name', family.slice(0, 4)]]);
    await h().expectOracle(['Encounter'], [['patient.birthdate', 'ge1980']], 0);
    await h().expectOracle(
      ['Observation'],
      [
        ['subject:Patient.gender', 'female'],
        ['code', '2339-0'],
      ],
      0,
    );
  });

  it('multi-level chains', async () => {
    const withObservations = new Set(
      h()
        .sample('Observation')
        .flatMap((o) => h().oracle.refs(o, 'encounter')),
    );
    const enc = h()
      .sample('Encounter')
      .find(
        (e) => withObservations.has(`Encounter/${e.id}`) && (e as { serviceProvider?: unknown }).serviceProvider,
      ) as unknown as { serviceProvider: { reference: string } };
    const org = h().oracle.get(enc.serviceProvider.reference) as { name?: string } | undefined;
    const word = org!.name!.split(' ')[0]!;
    await h().expectOracle(['Observation'], [['encounter.service-provider.name', word]]);
    await h().expectOracle(['DiagnosticReport'], [['encounter.patient.family', patient().name![0]!.family!]], 0);
  });

  it('_has, including nested _has', async () => {
    await h().expectOracle(['Patient'], [['_has:Observation:patient:code', 'http://loinc.org|29463-7']]);
    await h().expectOracle(['Patient'], [['_has:Observation:subject:code', '2339-0']], 2);
    await h().expectOracle(
      ['Patient'],
      [['_has:Encounter:patient:_has:Observation:encounter:code', 'http://loinc.org|29463-7']],
    );
    await h().expectOracle(['Encounter'], [['_has:Observation:encounter:value-quantity', 'gt100']], 0);
    await h().expectOracle(
      ['Patient'],
      [
        ['_has:RiskAssessment:subject:probability', 'gt0.5'],
        ['gender', 'male,female'],
      ],
      0,
    );
  });
}
