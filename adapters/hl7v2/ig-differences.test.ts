/**
 * IG-DIFFERENCES.md is the written account issue 16 asks for: it names every corpus message answered AE/AR on purpose
 * (testing/corpus.ts) and every element that still differs from the expected bundles (testing/ig-scope.json).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { REJECTED_ON_PURPOSE } from './testing/corpus.js';
import { DIFFERENCE_REASONS } from './testing/ig-scope.js';

const doc = readFileSync(new URL('./IG-DIFFERENCES.md', import.meta.url), 'utf8');

describe('IG-DIFFERENCES.md', () => {
  it('names each corpus message answered AE/AR on purpose, with its answer', () => {
    const rows = doc.split('\n').filter((l) => l.startsWith('| ') && /\| (AE|AR)\b/.test(l));
    for (const [file, { code }] of Object.entries(REJECTED_ON_PURPOSE)) {
      const name = file.replace(/\.hl7$/, '');
      const row = rows.find((l) => l.split(/[|,]/).some((cell) => cell.trim() === name));
      assert.ok(row, `${file} is listed`);
      assert.match(row, new RegExp(`\\| ${code}\\b`), `${file} is listed as ${code}`);
    }
  });

  it('gives a reason for each element that still differs', () => {
    for (const [element, reason] of Object.entries(DIFFERENCE_REASONS)) {
      if (reason.startsWith('None left')) continue;
      assert.ok(doc.includes(element), `${element} is explained`);
    }
  });
});
