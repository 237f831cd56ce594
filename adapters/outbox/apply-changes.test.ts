import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { awaitedResource } from './apply-changes.js';

describe('awaitedResource', () => {
  it('names the resource a lookup did not find, in every projection’s wording, and nothing else', () => {
    const cases: Array<[string, string | undefined]> = [
      ['MappingError: PaymentReconciliation/pr-1: Invoice/inv-9 is not in the billing database (yet)', 'Invoice/inv-9'],
      ['MappingError: Invoice/i: Account/acct.7 is not in the billing database (yet)', 'Account/acct.7'],
      [
        'MappingError: Observation/o: ServiceRequest/sr-1 is not a lab order in the lab database (yet)',
        'ServiceRequest/sr-1',
      ],
      ['MappingError: Observation/o: Specimen/s is not in the lab database (yet)', 'Specimen/s'],
      [
        'MappingError: MedicationRequest/m: Medication/med-insulin is not in the medication database (yet)',
        'Medication/med-insulin',
      ],
      ['MappingError: Observation/hr: Device/d-1 is not in the devices database (yet)', 'Device/d-1'],
      ['MappingError: Invoice/bad: totalGross 990 ≠ lines 900 + tax 0 − discount 0', undefined],
      ['MappingError: MedicationRequest/m has no requester Practitioner', undefined],
      ['SqlError [ER_NO_REFERENCED_ROW_2]: Cannot add or update a child row', undefined],
    ];
    assert.deepEqual(
      cases.map(([error]) => awaitedResource(error)),
      cases.map(([, want]) => want),
    );
  });
});
