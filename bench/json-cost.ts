/**
 * CPU cost of the strict, lossless JSON reader/writer (server/json) against plain JSON.parse / JSON.stringify,
 * per body: the bench Patient of request-cpu.ts, a US Core Observation, an Observation whose decimals need their
 * text (1.50, 6.0), and the largest Synthea transaction; plus the store-side collect of texts.
 * Prints one JSON object (µs per operation, median of 5 rounds).
 * Usage: npx tsx bench/json-cost.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson } from '../server/json/parse-json.js';
import { stringifyJson } from '../server/json/stringify-json.js';
import { collectNumberTexts } from '../server/json/number-texts.js';
import { CORPUS_ROOT } from '../server/testing/corpus.js';

const patient = JSON.stringify({
  resourceType: 'Patient',
  identifier: [{ system: 'urn:nilecare:bench', value: 'C-1-2' }],
  name: [{ family: 'Cpu12', given: ['Amna', 'Osman'] }],
  gender: 'female',
  birthDate: '1950-01-11',
  address: [{ city: 'Khartoum', country: 'SD' }],
});
const usCore = readFileSync(join(CORPUS_ROOT, 'extras/us-core-9.0.0-examples/blood-pressure.json'), 'utf8');
const decimals = usCore.replace(/"value"\s*:\s*(\d+)/g, '"value": $1.50');
const synthea = readFileSync(
  join(CORPUS_ROOT, 'synthea/smart-r4-2019/Abdul_Koepp_e925b0f3-8006-43f6-aa31-94bd215e55e7.json'),
  'utf8',
);

function microseconds(fn: () => unknown, iterations: number): number {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    rounds.push(Number(process.hrtime.bigint() - start) / 1e3 / iterations);
  }
  rounds.sort((a, b) => a - b);
  return Math.round(rounds[2]! * 100) / 100;
}

const figures: Record<string, Record<string, number>> = {};
for (const [name, text, n] of [
  ['patient', patient, 20000],
  ['usCoreObservation', usCore, 5000],
  ['observationWithDecimalTexts', decimals, 5000],
  ['syntheaBundle', synthea, 10],
] as const) {
  const plain = JSON.parse(text) as unknown;
  const lossless = parseJson(text);
  figures[name] = {
    bytes: Buffer.byteLength(text),
    jsonParseUs: microseconds(() => JSON.parse(text), n),
    parseJsonUs: microseconds(() => parseJson(text), n),
    jsonStringifyUs: microseconds(() => JSON.stringify(plain), n),
    stringifyJsonUs: microseconds(() => stringifyJson(lossless), n),
    collectNumberTextsUs: microseconds(() => collectNumberTexts(lossless), n),
  };
}
console.log(JSON.stringify({ node: process.version, figures }, null, 2));
