/**
 * Golden files as in FHIR-Converter: each corpus message with an expected FHIR bundle is mapped and compared, fact
 * by fact (adapters/hl7v2/testing/golden-facts.ts), on the facts the v2-to-FHIR IG maps from what the message
 * carries (adapters/hl7v2/testing/ig-scope.json). Prints the agreement overall and per resource type, and every
 * remaining difference by element; each element that still differs has its reason written down in ig-scope.json.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { CORPUS, hl7CorpusMissing } from '../adapters/hl7v2/testing/corpus.js';
import {
  bundleFacts,
  compareFacts,
  givenWithoutOffset,
  resourceFacts,
  shown,
} from '../adapters/hl7v2/testing/golden-facts.js';
import { DIFFERENCE_REASONS, igScopedBundle, outsideIgValues } from '../adapters/hl7v2/testing/ig-scope.js';
import { parseMessage } from '../adapters/hl7v2/parser/parse-message.js';
import { loadMappings } from '../adapters/hl7v2/mapping/load-mappings.js';
import { CodeTables } from '../adapters/hl7v2/mapping/code-tables.js';
import { mapMessage } from '../adapters/hl7v2/mapping/mapping-engine.js';
import { DEFAULT_OPTIONS } from '../adapters/hl7v2/mapping/transform-context.js';
import { optionsFor } from '../adapters/hl7v2/inbound/apply-message.js';

const AGREEMENT_FLOOR = Number(process.env.GOLDEN_FLOOR ?? '0.95');

function pairs(): { name: string; message: string; expected: string }[] {
  const manifest = readFileSync(join(CORPUS, 'manifest.csv'), 'utf8').split('\n').slice(1);
  return manifest
    .map((line) => line.split(','))
    .filter((cols) => cols[1] === 'message' && cols[9])
    .map((cols) => ({ name: cols[0]!, message: join(CORPUS, cols[0]!), expected: join(CORPUS, cols[9]!) }))
    .filter((p) => existsSync(p.message) && existsSync(p.expected));
}

describe('golden files: message → expected FHIR (FHIR-Converter output), IG-scoped', () => {
  it('agrees with the expected bundles on the facts the IG maps, overall and per resource type', (t) => {
    const absent = hl7CorpusMissing('manifest.csv');
    if (absent) {
      t.skip(absent);
      return;
    }
    const mappings = loadMappings();
    const tables = CodeTables.loadDefaults();
    const perType = new Map<string, { matched: number; total: number }>();
    const differences = new Map<string, string[]>();
    let compared = 0;
    let allExpected = 0;
    let zoneOnly = 0;
    const notIg = new Map<string, number>();
    const unmapped: string[] = [];
    for (const p of pairs()) {
      const expectedText = readFileSync(p.expected, 'utf8');
      if (!expectedText.trimStart().startsWith('{')) continue; // an XML expectation (not compared)
      const text = readFileSync(p.message, 'utf8');
      const msg = parseMessage(text);
      let ours: Bundle;
      try {
        ours = mapMessage(msg, mappings, tables, optionsFor(msg, DEFAULT_OPTIONS)).bundle; // as the inbound path maps it
      } catch (err) {
        unmapped.push(`${p.name}: ${(err as Error).message}`);
        continue;
      }
      const perResource = resourceFacts(JSON.parse(expectedText) as Bundle);
      allExpected += perResource.flat().length;
      for (const f of perResource.flat().filter(outsideIgValues)) {
        const key = shown(f);
        notIg.set(key, (notIg.get(key) ?? 0) + 1);
      }
      const expected = igScopedBundle(perResource, msg);
      const r = compareFacts(expected, bundleFacts(ours), (wall) => givenWithoutOffset(text, wall));
      zoneOnly += r.zoneOnly;
      compared++;
      const missing = [...r.missing];
      for (const f of expected) {
        const type = f.slice(0, f.indexOf('.'));
        const s = perType.get(type) ?? { matched: 0, total: 0 };
        s.total++;
        const i = missing.indexOf(f);
        if (i >= 0) missing.splice(i, 1);
        else s.matched++;
        perType.set(type, s);
      }
      for (const m of r.missing) {
        const key = m.slice(0, m.indexOf('='));
        const value = shown(m).slice(key.length + 1);
        const ourValues = r.extra.filter((x) => x.startsWith(`${key}=`)).map((x) => x.slice(key.length + 1));
        const list = differences.get(key) ?? [];
        list.push(`${p.name.replace('messages/', '')}: expected ${value}, ours ${ourValues.join(' / ') || '(none)'}`);
        differences.set(key, list);
      }
    }
    const sum = [...perType.values()].reduce((a, s) => ({ matched: a.matched + s.matched, total: a.total + s.total }), {
      matched: 0,
      total: 0,
    });
    const pct = (s: { matched: number; total: number }) => ((100 * s.matched) / s.total).toFixed(1);
    console.log(
      `# golden: ${compared} pairs, ${sum.total} IG-scoped expected facts of ${allExpected}; reproduced ${sum.matched} = ${pct(sum)}%`,
    );
    console.log(
      `# golden: of which ${zoneOnly} times the message gave without an offset, read the same in another zone (the IG names none)`,
    );
    console.log(
      `# golden: not counted, values the IG's rules cannot give: ${[...notIg].map(([f, n]) => `${f} ×${n}`).join(', ')}`,
    );
    for (const [type, s] of [...perType.entries()].sort((a, b) => b[1].total - a[1].total))
      console.log(`# golden: ${type} ${s.matched}/${s.total} = ${pct(s)}%`);
    for (const [key, list] of [...differences.entries()].sort((a, b) => b[1].length - a[1].length))
      console.log(
        `# golden difference ${key} ×${list.length} — ${DIFFERENCE_REASONS[key] ?? 'NO REASON WRITTEN'}\n#   ${list.slice(0, process.env.GOLDEN_ALL ? undefined : 4).join('\n#   ')}`,
      );
    assert.deepEqual(unmapped, [], 'every paired message maps');
    assert.ok(compared >= 110, `only ${compared} pairs compared`);
    assert.deepEqual(
      [...differences.keys()].filter((k) => !DIFFERENCE_REASONS[k]),
      [],
      'every element that still differs has its reason written in ig-scope.json',
    );
    assert.ok(sum.matched / sum.total >= AGREEMENT_FLOOR, `agreement ${pct(sum)}% below ${AGREEMENT_FLOOR * 100}%`);
    assert.deepEqual(
      [...perType.entries()]
        .filter(([, s]) => s.matched / s.total < AGREEMENT_FLOOR)
        .map(([type, s]) => `${type} ${pct(s)}%`),
      [],
      `every resource type at or above ${AGREEMENT_FLOOR * 100}% (issue 16 item 6)`,
    );
  });
});
