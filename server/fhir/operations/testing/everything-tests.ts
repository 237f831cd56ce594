/** $everything paging (issue 14 item 9): the focal patient once, includes only from outside the compartment. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { collectBundles, keyOf, patientsOf, type BulkHarness, type Json } from './bulk-harness.js';

export function everythingTests(h: () => BulkHarness): void {
  it('Patient/$everything with _count: the patient once (first), no page over _count, no include from the compartment', async (t) => {
    const missing = h().corpusMissing;
    if (missing) {
      t.skip(missing);
      return;
    }
    const patient = patientsOf(h())[0]!;
    const pages = await collectBundles(h().server, `/Patient/${patient.id}/$everything?_count=50`);
    assert.ok(pages.length >= 3, `several pages (${pages.length})`);
    const matchKeys = pages.flatMap((p) =>
      (p.entry ?? []).filter((e: Json) => e.search.mode === 'match').map((e: Json) => keyOf(e.resource)),
    );
    assert.equal(matchKeys.filter((k) => k === `Patient/${patient.id}`).length, 1, 'the patient exactly once');
    assert.equal(matchKeys[0], `Patient/${patient.id}`, 'the patient first');
    assert.equal(new Set(matchKeys).size, matchKeys.length, 'no resource matched twice across pages');

    // The matches are exactly the patient's compartment.
    const compartment = await collectBundles(h().server, `/Patient/${patient.id}/*?_count=1000`);
    const inCompartment = new Set(
      compartment.flatMap((p) =>
        (p.entry ?? []).filter((e: Json) => e.search.mode === 'match').map((e: Json) => keyOf(e.resource)),
      ),
    );
    assert.deepEqual([...new Set(matchKeys)].sort(), [...inCompartment].sort());

    for (const [n, page] of pages.entries()) {
      const entries: Json[] = page.entry ?? [];
      const matches = entries.filter((e) => e.search.mode === 'match').map((e) => keyOf(e.resource));
      const includes = entries.filter((e) => e.search.mode === 'include').map((e) => keyOf(e.resource));
      assert.ok(matches.length <= 50, `page ${n + 1}: ${matches.length} matches for _count=50`);
      assert.equal(new Set(includes).size, includes.length, `page ${n + 1}: an include appears once`);
      for (const k of includes) {
        assert.ok(
          !inCompartment.has(k),
          `page ${n + 1}: ${k} is in the patient's compartment, so it is a match, not an include`,
        );
        assert.ok(!matches.includes(k), `page ${n + 1}: ${k} is both a match and an include`);
      }
    }
    const includeTypes = new Set(
      pages.flatMap((p) =>
        (p.entry ?? []).filter((e: Json) => e.search.mode === 'include').map((e: Json) => e.resource.resourceType),
      ),
    );
    assert.ok(
      includeTypes.has('Practitioner') || includeTypes.has('Organization'),
      `referenced resources are included (${[...includeTypes]})`,
    );
    const first = pages[0]!.entry.filter((e: Json) => e.search.mode === 'include').length;
    assert.ok(first < 50, `page 1 includes only what lies outside the compartment (${first})`);

    const next = pages[0]!.link.find((l: Json) => l.relation === 'next').url as string;
    assert.match(next, /\/\$everything\?.*_cursor=/, 'paging links point back at $everything');
  });
}
