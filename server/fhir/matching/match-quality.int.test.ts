/**
 * Quality of Arabic name search and Patient/$match on the test set written from public lists of Sudanese and Arabic
 * names (testing/arabic-name-pairs.json, PROVENANCE.md): recall and precision, with precision measured on
 * non-matching people too (strangers, siblings, namesakes). Runs on the embedded PostgreSQL store (the search and
 * matching code above the store is the same on every store; the Arabic search cases themselves run on all three in
 * arabic-search.*.int.test.ts). Figures are printed and written to test-artifacts/arabic/match-quality.json.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Patient } from '@medplum/fhirtypes';
import { pgliteTestStore } from '../../store/postgres/testing/test-stores.js';
import type { ResourceStore } from '../../store/resource-store.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { FULL_ACCESS } from '../access-policy.js';
import type { FhirContext } from '../fhir-context.js';
import { readPreferences } from '../fhir-request.js';
import { prepareVersion } from '../interactions/commit-version.js';
import { searchPages } from '../search/store-search.js';
import { foldText } from '../indexing/text/fold-text.js';
import { nameWords } from '../indexing/text/name-words.js';
import { loadMatchProfile } from './match-profile.js';
import { matchPatient } from './match-patients.js';
import { makePopulation, PAIRS, type Query } from './testing/name-population.js';

const POPULATION = 2000;
const profile = loadMatchProfile();
const ARTIFACTS = new URL('../../../test-artifacts/arabic/', import.meta.url);

describe('Arabic name search and $match quality (2,000 Sudanese patients, PGlite)', { timeout: 900_000 }, () => {
  let store: ResourceStore;
  let server: TestServer;
  let ctx: FhirContext;
  const data = makePopulation(POPULATION);
  const figures: Record<string, unknown> = {};

  before(async () => {
    ({ store } = await pgliteTestStore());
    await store.init();
    server = await startTestServer(store, { env: { NILECARE_DUPLICATE_CHECK: 'off' } });
    ctx = {
      ...server.app.services,
      access: FULL_ACCESS,
      prefer: readPreferences({}),
      requestId: 'quality',
    };
    for (let i = 0; i < data.stored.length; i += 250) {
      const batch = data.stored.slice(i, i + 250);
      await store.write(batch.map((p) => prepareVersion(ctx, 'Patient', p.id!, p, 0)));
    }
  });
  after(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(new URL('match-quality.json', ARTIFACTS), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`# figures: ${JSON.stringify(figures)}`);
    await server?.close();
    await store?.close();
  });

  const idsOf = async (params: Array<[string, string]>): Promise<Set<string>> => {
    const found = new Set<string>();
    const args = {
      store,
      resourceTypes: ['Patient'],
      params,
      baseUrl: ctx.baseUrl,
      access: FULL_ACCESS,
      handling: 'strict' as const,
      count: 1000,
    };
    for await (const page of searchPages(args)) for (const v of page) found.add(v.id);
    return found;
  };
  /** Stored patients having the name entry (by its Arabic form) as one of their three names. */
  const holders = (ar: string) =>
    new Set(data.population.filter((p) => p.names.some((n) => n.ar === ar)).map((p) => p.key));
  const holdersInArabic = (ar: string) =>
    new Set(data.population.filter((p) => !p.latin && p.names.some((n) => n.ar === ar)).map((p) => p.key));

  const tally = () => ({ tp: 0, fp: 0, fn: 0 });
  const rates = (t: { tp: number; fp: number; fn: number }) => ({
    ...t,
    recall: round(t.tp / Math.max(1, t.tp + t.fn)),
    precision: round(t.tp / Math.max(1, t.tp + t.fp)),
  });
  const count = (t: { tp: number; fp: number; fn: number }, found: Set<string>, expected: Set<string>) => {
    for (const id of found) if (expected.has(id)) t.tp++;
    for (const id of found) if (!expected.has(id)) t.fp++;
    for (const id of expected) if (!found.has(id)) t.fn++;
  };

  it('name=: Arabic spellings as typed (marks, hamza, ta marbuta, alef maqsura, compounds) find the Arabic records', async () => {
    const t = tally();
    const strictFp = { same: 0, prefixLonger: 0 };
    for (const { ar, typed } of PAIRS.arabicSpellings) {
      const expected = holdersInArabic(ar);
      for (const spelling of typed) {
        const found = await idsOf([['name', spelling]]);
        count(t, found, expected);
        for (const id of found) if (!expected.has(id)) strictFp.prefixLonger++;
      }
    }
    figures.nameSearchArabicSpellings = { ...rates(t), searches: PAIRS.arabicSpellings.flatMap((s) => s.typed).length };
    assert.equal(t.fn, 0, 'every record holding the name is found whatever the spelling typed');
  });

  it('phonetic=: Latin renderings find the Arabic and Latin records of the same name', async () => {
    const t = tally();
    const misses: string[] = [];
    for (const entry of [...PAIRS.given, ...PAIRS.family]) {
      const expected = holders(entry.ar);
      if (expected.size === 0) continue;
      for (const latin of entry.latin) {
        const found = await idsOf([['phonetic', latin]]);
        const before = t.fn;
        count(t, found, expected);
        if (t.fn > before) misses.push(latin);
      }
    }
    figures.phoneticSearch = { ...rates(t), missedSpellings: misses };
    assert.ok(rates(t).recall >= 0.95, `phonetic recall ${rates(t).recall}`);
  });

  it('$match: recall and precision at the documented threshold (probable), non-matching people included', async () => {
    const queries: Query[] = [...data.positives(300), ...data.negatives(300)];
    const byKind: Record<string, { tp: number; fp: number; fn: number; queries: number }> = {};
    const all = tally();
    const possible = tally();
    const started = Date.now();
    for (const query of queries) {
      const matches = await matchPatient(ctx, query.patient, profile, { count: 10 });
      const accepted = new Set(matches.filter((m) => m.grade !== 'possible').map((m) => m.version.id));
      const anyGrade = new Set(matches.map((m) => m.version.id));
      const expected = new Set(query.expected ? [query.expected] : []);
      const kind = (byKind[query.kind] ??= { ...tally(), queries: 0 });
      kind.queries++;
      count(kind, accepted, expected);
      count(all, accepted, expected);
      count(possible, anyGrade, expected);
    }
    const perQueryMs = round((Date.now() - started) / queries.length);
    const positives = queries.filter((q) => q.expected && q.kind === 'positive').length;
    const exact = byKind['positive']!;
    figures.match = {
      threshold: `grade probable or certain (score >= ${profile.grades.probable})`,
      ...rates(all),
      sameBirthDate: { ...rates(exact), queries: positives },
      byKind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, rates(v)])),
      atPossible: rates(possible),
      perQueryMs,
    };
    assert.ok(rates(all).precision >= 0.9, `$match precision ${rates(all).precision}`);
    assert.ok(rates(exact).recall >= 0.95, `$match recall (same birth date) ${rates(exact).recall}`);
    assert.ok(
      rates(all).recall >= 0.95,
      `$match recall (birth date slips and missing ones included) ${rates(all).recall}`,
    );
  });

  it('the phonetic keys of the pairs themselves: every Latin rendering meets its Arabic name, few meet another', () => {
    const keysOf = (s: string) => nameWords(s).map((w) => w.keys);
    const meet = (a: string[][], b: string[][]) =>
      a.length > 0 && a.length === b.length && a.every((ka, i) => ka.some((k) => b[i]!.includes(k)));
    let pairs = 0;
    let met = 0;
    for (const e of [...PAIRS.given, ...PAIRS.family, ...PAIRS.people])
      for (const l of e.latin) {
        pairs++;
        if (meet(keysOf(e.ar), keysOf(l))) met++;
      }
    let others = 0;
    let falseMeets = 0;
    for (const group of [PAIRS.given, PAIRS.family])
      for (const a of group)
        for (const b of group)
          if (a !== b && foldText(a.ar) !== foldText(b.ar))
            for (const l of b.latin) {
              others++;
              if (meet(keysOf(a.ar), keysOf(l))) falseMeets++;
            }
    figures.keyPairs = {
      pairs,
      recall: round(met / pairs),
      nonMatchingPairs: others,
      falseMeetRate: round(falseMeets / others, 5),
    };
    assert.ok(pairs >= 200 && met / pairs >= 0.95);
  });
});

function round(n: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export type { Patient };
