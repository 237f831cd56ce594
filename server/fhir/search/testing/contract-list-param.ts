/**
 * `_list` on every store: the members of a List (entries not flagged deleted, relative or absolute references)
 * restrict the search; other parameters are compared with the oracle; a List the caller cannot find (another
 * patient's) restricts to nothing; functional lists and mistakes answer 400.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { List, Observation } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../../access-policy.js';
import { FhirError } from '../../errors.js';
import { TEST_BASE, type SearchHarness } from './search-harness.js';

export function listParamTests(h: () => SearchHarness): void {
  const run = Math.random().toString(36).slice(2, 8);
  const stamp = { versionId: '1', lastUpdated: '2025-02-01T00:00:00.000Z' };
  const byPatient = () => {
    const groups = new Map<string, string[]>();
    for (const o of h().oracle.all(['Observation']) as Observation[]) {
      const ref = o.subject?.reference;
      if (ref?.startsWith('Patient/')) groups.set(ref, [...(groups.get(ref) ?? []), `Observation/${o.id}`]);
    }
    return [...groups].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  };
  const list = (id: string, subject: string | undefined, items: Array<{ ref: string; deleted?: boolean }>): List => ({
    resourceType: 'List',
    id: `list-${run}-${id}`,
    status: 'current',
    mode: 'working',
    ...(subject ? { subject: { reference: subject } } : {}),
    entry: items.map((i) => ({ item: { reference: i.ref }, ...(i.deleted ? { deleted: true } : {}) })),
    meta: stamp,
  });
  const keys = async (type: string, params: Array<[string, string]>, access?: AccessPolicy) =>
    (await h().collect([type], [...params, ['_count', '1000']], access ? { access } : {})).keys.sort();

  it('_list: the List members, with other parameters as the oracle has them; OR and AND of lists', async () => {
    const [[patientA, obsA], [patientB, obsB]] = byPatient() as [[string, string[]], [string, string[]]];
    const a = obsA.slice(0, 30);
    await h().add([
      list('a', patientA, [
        ...a.map((ref, i) => ({ ref: i === 0 ? `${TEST_BASE}/${ref}` : ref, deleted: i === 1 })),
        { ref: patientA },
      ]),
      list('b', patientB, [...obsB.slice(0, 5).map((ref) => ({ ref })), { ref: a[2]! }]),
    ]);
    const membersA = a.filter((_, i) => i !== 1).sort();
    assert.deepEqual(
      await keys('Observation', [['_list', `list-${run}-a`]]),
      membersA,
      'absolute ref kept, deleted left out',
    );
    const vital = new Set(h().oracle.search(['Observation'], [['category', 'vital-signs']]));
    const expected = membersA.filter((k) => vital.has(k));
    assert.ok(expected.length > 0 && expected.length < membersA.length, 'a probe that filters');
    assert.deepEqual(
      await keys('Observation', [
        ['_list', `list-${run}-a`],
        ['category', 'vital-signs'],
      ]),
      expected,
    );
    assert.deepEqual(await keys('Patient', [['_list', `list-${run}-a`]]), [patientA]);
    const union = [...new Set([...membersA, ...obsB.slice(0, 5), a[2]!])].sort();
    assert.deepEqual(await keys('Observation', [['_list', `list-${run}-a,list-${run}-b`]]), union);
    assert.deepEqual(
      await keys('Observation', [
        ['_list', `list-${run}-a`],
        ['_list', `list-${run}-b`],
      ]),
      [a[2]!],
    );
    assert.deepEqual(await keys('Observation', [['_list', `list-${run}-nosuch`]]), [], 'an unknown List: nothing');
  });

  it("_list under a patient-context policy: another patient's List restricts to nothing", async () => {
    const [[patientA], [patientB]] = byPatient() as [[string, string[]], [string, string[]]];
    const asA: AccessPolicy = { who: 'test', compartment: patientA, allows: () => true, constraints: () => undefined };
    assert.deepEqual(await keys('Observation', [['_list', `list-${run}-b`]], asA), [], "B's List is not A's to use");
    const own = await keys('Observation', [['_list', `list-${run}-a`]], asA);
    assert.ok(own.length > 0, "A's own List works");
    const noLists: AccessPolicy = { ...asA, allows: (_i, type) => type !== 'List' };
    await assert.rejects(
      h().search(['Observation'], [['_list', `list-${run}-a`]], { access: noLists }),
      (err: unknown) => {
        assert.ok(err instanceof FhirError && err.status === 403, String(err));
        return true;
      },
    );
    void patientB;
  });

  it('_list mistakes answer 400 with an OperationOutcome', async () => {
    for (const [types, params, pattern] of [
      [['Observation'], [['_list', '$current-problems']], /functional/],
      [['Observation'], [['_list:missing', 'true']], /modifier/],
      [['Observation'], [['_list', 'not a list id']], /not a List id/],
      [
        [],
        [
          ['_type', 'Observation,Patient'],
          ['_list', 'x'],
        ],
        /one resource type/,
      ],
    ] as Array<[string[], Array<[string, string]>, RegExp]>) {
      await assert.rejects(h().search(types, params), (err: unknown) => {
        assert.ok(err instanceof FhirError, String(err));
        assert.equal(err.status, 400);
        assert.equal(err.outcome.resourceType, 'OperationOutcome');
        assert.match(err.message, pattern);
        return true;
      });
    }
  });
}
