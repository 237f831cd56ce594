/**
 * Golden files as in FHIR-Converter: each corpus message with an expected FHIR bundle is mapped and compared,
 * fact by fact, on the elements the v2-to-FHIR IG maps (see adapters/hl7v2/testing/golden-facts.ts). Prints the
 * agreement rate and the most frequent differences; fails if the rate drops below the measured floor.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { CORPUS } from '../adapters/hl7v2/testing/corpus.js';
import { bundleFacts, compareFacts } from '../adapters/hl7v2/testing/golden-facts.js';
import { parseMessage } from '../adapters/hl7v2/parser/parse-message.js';
import { loadMappings } from '../adapters/hl7v2/mapping/load-mappings.js';
import { CodeTables } from '../adapters/hl7v2/mapping/code-tables.js';
import { mapMessage, templateFor } from '../adapters/hl7v2/mapping/mapping-engine.js';

const AGREEMENT_FLOOR = Number(process.env.GOLDEN_FLOOR ?? '0.68');

function pairs(): { message: string; expected: string }[] {
  const manifest = readFileSync(join(CORPUS, 'manifest.csv'), 'utf8').split('\n').slice(1);
  return manifest
    .map((line) => line.split(','))
    .filter((cols) => cols[1] === 'message' && cols[9])
    .map((cols) => ({ message: join(CORPUS, cols[0]!), expected: join(CORPUS, cols[9]!) }))
    .filter((p) => existsSync(p.message) && existsSync(p.expected));
}

describe('golden files: message → expected FHIR (FHIR-Converter output)', () => {
  it('agrees with the expected bundles on the IG-mapped elements', (t) => {
    if (!existsSync(join(CORPUS, 'manifest.csv'))) return t.skip(`HL7 corpus absent at ${CORPUS}`);
    const mappings = loadMappings();
    const tables = CodeTables.loadDefaults();
    let matched = 0;
    let total = 0;
    let compared = 0;
    const missing = new Map<string, number>();
    for (const p of pairs()) {
      const msg = parseMessage(readFileSync(p.message, 'utf8'));
      try {
        templateFor(msg, mappings);
      } catch {
        continue; // a message type we do not map
      }
      let ours: Bundle;
      try {
        ours = mapMessage(msg, mappings, tables).bundle;
      } catch {
        continue; // answered AE on purpose (see REJECTED_ON_PURPOSE)
      }
      const expectedText = readFileSync(p.expected, 'utf8');
      if (!expectedText.trimStart().startsWith('{')) continue; // an XML expectation (not compared)
      const expected = JSON.parse(expectedText) as Bundle;
      const r = compareFacts(bundleFacts(expected), bundleFacts(ours));
      matched += r.matched;
      total += r.total;
      compared++;
      for (const m of r.missing) {
        const key = m.split('=')[0]!;
        missing.set(key, (missing.get(key) ?? 0) + 1);
      }
    }
    const rate = matched / total;
    const top = [...missing.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
    console.log(
      `# golden: ${compared} pairs, ${matched}/${total} expected facts reproduced = ${(rate * 100).toFixed(1)}%`,
    );
    console.log(`# golden: most frequent differences (element: count) ${top.map(([k, n]) => `${k}: ${n}`).join('; ')}`);
    assert.ok(compared >= 60, `only ${compared} pairs compared`);
    assert.ok(rate >= AGREEMENT_FLOOR, `agreement ${rate} below ${AGREEMENT_FLOOR}`);
  });
});
