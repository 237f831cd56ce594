/** The write-time check of HL7 v2 code-table ConceptMaps: odd shapes never throw, malformed scopes are named. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConceptMap } from '@medplum/fhirtypes';
import {
  CODE_TABLE_SYSTEM,
  codeTableMapProblems,
  SCOPE_EXTENSION,
  scopeExtension,
  scopeExtensionOf,
} from './code-table-scope.js';

const table = (extra: Record<string, unknown>) =>
  ({
    resourceType: 'ConceptMap',
    status: 'active',
    identifier: { system: CODE_TABLE_SYSTEM, value: 'AdministrativeSex' },
    ...extra,
  }) as unknown as ConceptMap;

describe('code-table ConceptMap checks', () => {
  it('never throws on shapes the structural validation refuses', () => {
    for (const odd of [
      { group: { element: [] } },
      { group: [null] },
      { group: [{ element: 'F' }] },
      { group: [{ element: [null, 3] }] },
      { extension: 'x' },
      { extension: [null] },
      { extension: [{ url: SCOPE_EXTENSION, extension: [null, 1, 'a'] }] },
      { extension: [{ url: SCOPE_EXTENSION, extension: {} }] },
    ])
      assert.doesNotThrow(() => codeTableMapProblems(table(odd)), JSON.stringify(odd));
  });

  it('round-trips a scope and names each malformed part', () => {
    const scope = { messageType: 'ADT', triggerEvent: 'A04', sendingFacility: 'KTH', priority: 10 };
    const map = table({ extension: [scopeExtension(scope)] });
    assert.deepEqual(scopeExtensionOf(map), scope);
    assert.deepEqual(codeTableMapProblems(map), []);
    const bad = table({
      extension: [
        {
          url: SCOPE_EXTENSION,
          extension: [
            { url: 'messageType', valueString: 'adt' },
            { url: 'hl7Version', valueString: '2.x' },
            { url: 'priority', valueDecimal: 1.5 },
            { url: 'priority', valueInteger: 1 },
          ],
        },
      ],
    });
    assert.deepEqual(
      codeTableMapProblems(bad).map((i) => i.expression![0]),
      [
        'ConceptMap.extension[0].extension[0]',
        'ConceptMap.extension[0].extension[1]',
        'ConceptMap.extension[0].extension[2]',
        'ConceptMap.extension[0].extension[3]',
      ],
    );
  });

  it('leaves ConceptMaps that are no code table alone', () => {
    assert.deepEqual(
      codeTableMapProblems({ resourceType: 'ConceptMap', status: 'active', group: [{ element: [{}] }] }),
      [],
    );
  });
});
