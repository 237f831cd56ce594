import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldFully, foldText } from './fold-text.js';

test('the ASCII shortcut folds every ASCII character as the full fold does', () => {
  for (let c = 0; c < 0x80; c++) {
    const ch = String.fromCharCode(c);
    for (const value of [ch, `A${ch}B`, ` ${ch}${ch} `, `x ${ch}\t y`])
      assert.equal(foldText(value), foldFully(value), JSON.stringify(value));
  }
});

test('the ASCII shortcut agrees with the full fold on random ASCII text (white space runs, case, punctuation)', () => {
  let seed = 20261207;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const alphabet = 'aZ \t\n\r\v\f  .,-/|^~01Mx\u0000\u001f\u007f';
  for (let i = 0; i < 5000; i++) {
    let value = '';
    for (let n = next() % 24; n > 0; n--) value += alphabet[next() % alphabet.length];
    assert.equal(foldText(value), foldFully(value), JSON.stringify(value));
  }
});

test('text with any non-ASCII character still gets every fold', () => {
  const cases: [string, string][] = [
    ['  Amna \t OSMAN ', 'amna osman'],
    ['José Ñúñez', 'jose nunez'],
    ['Amna\u00a0Osman', 'amna osman'], // no-break space
    ['Hemoglobin\u200b [Mass/volume]', 'hemoglobin [mass/volume]'], // zero-width space
    ['أحمد عبد الله', 'احمد عبدالله'],
    ['ﻻ', 'لا'], // presentation form
    ['Ａｍｎａ', 'amna'], // full width
    ['١٫٥٠', '1٫50'],
  ];
  for (const [value, folded] of cases) {
    assert.equal(foldText(value), folded, value);
    assert.equal(foldFully(value), folded, value);
  }
});
