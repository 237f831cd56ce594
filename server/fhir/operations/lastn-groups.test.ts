/**
 * lastn-groups.ts: a match carrying the store's $lastn key (MatchEntries.lastnKey, no entries: PostgreSQL's walk)
 * groups exactly as the same match with its index entries — beside matches with entries that join codes (several
 * codings), have no coded code or no date, tie on date and lastUpdated, carry the same coding twice or no system.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IndexEntry } from '../indexing/index-entry.js';
import type { MatchEntries } from '../../store/resource-store.js';
import { lastnKeys } from '../../store/lastn-keys.js';
import { lastnGroups } from './lastn-groups.js';

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function matches(seed: number, count: number): MatchEntries[] {
  const next = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const subjects = ['Patient/a', 'Patient/b', 'Group/a'];
  const codings: Array<[string | null, string]> = [
    ['http://loinc.org', '1'],
    ['http://loinc.org', '2'],
    ['http://other', '1'],
    [null, '1'],
    ['', '3'],
  ];
  return Array.from({ length: count }, (_, i): MatchEntries => {
    const subject = pick(subjects);
    const [type, id] = subject.split('/') as [string, string];
    const entries: IndexEntry[] = [{ kind: 'reference', param: 'subject', targetType: type, targetId: id, url: null }];
    const n = next() < 0.75 ? 1 : pick([0, 2, 3]);
    for (let c = 0; c < n; c++) {
      const [system, code] = pick(codings);
      entries.push({ kind: 'token', param: 'code', system, code });
    }
    if (next() < 0.2)
      entries.push({ kind: 'token', param: 'code', system: null, code: null, text: pick(['pulse', 'bp']) });
    if (next() < 0.15) entries.push({ ...(entries.at(-1) as IndexEntry) }); // the same coding twice
    const dates = next() < 0.15 ? 0 : pick([1, 1, 1, 2]);
    for (let d = 0; d < dates; d++) {
      const day = Math.floor(next() * 6) * 86_400_000;
      entries.push({ kind: 'date', param: 'date', low: day, high: day + pick([0, 3_600_000]) });
    }
    return {
      resourceType: 'Observation',
      id: `o${pick(['Z', 'a', '-', '0'])}${i}`,
      versionId: 1,
      lastUpdatedMs: Math.floor(next() * 3) * 1000,
      entries,
    };
  });
}

describe('lastnGroups: a match given by its $lastn key groups as the same match given by its entries', () => {
  it('on 200 generated sets of matches, max 1 to 3', () => {
    let keyed = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const all = matches(seed, 5 + (seed % 40));
      const byKey = all.map((m): MatchEntries => {
        const keys = lastnKeys('Observation', m.entries);
        const key = keys.length === 1 && keys[0]!.code !== null ? keys[0]! : undefined;
        if (!key) return m;
        keyed++;
        return { ...m, entries: [], lastnKey: { subject: key.subject, code: key.code!, at: key.at } };
      });
      for (const max of [1, 2, 3])
        assert.deepEqual(lastnGroups(byKey, max), lastnGroups(all, max), `seed ${seed}, max ${max}`);
    }
    assert.ok(keyed > 1000, `${keyed} matches given by their key`);
  });

  it('matches with one code each (the walk answer) group as when codes of another subject are merged', () => {
    let compared = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const single = matches(seed, 5 + (seed % 40)).filter((m) => {
        const keys = lastnKeys('Observation', m.entries);
        return keys.length === 1 && keys[0]!.code !== null;
      });
      // a match of another subject with two codes: the whole set takes the union-find path
      const joined: MatchEntries = {
        resourceType: 'Observation',
        id: 'joined',
        versionId: 1,
        lastUpdatedMs: 0,
        entries: [
          { kind: 'reference', param: 'subject', targetType: 'Patient', targetId: 'z', url: null },
          { kind: 'token', param: 'code', system: 'http://loinc.org', code: '1' },
          { kind: 'token', param: 'code', system: 'http://loinc.org', code: '2' },
        ],
      };
      for (const max of [1, 2, 3]) {
        const merged = lastnGroups([...single, joined], max).filter((g) => g.subject !== 'Patient/z');
        assert.deepEqual(lastnGroups(single, max), merged, `seed ${seed}, max ${max}`);
      }
      compared += single.length;
    }
    assert.ok(compared > 1000, `${compared} single-code matches`);
  });
});
