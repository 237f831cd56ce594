import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nameWords } from './name-words.js';

describe('nameWords keys cache', () => {
  it('gives the same words and keys from the cache as computed, also after it was emptied', () => {
    const names = ['عبد الرحمن محمد', 'Abdel Rahman Mohamed', 'نور الدين', 'Nureddin el-Tayeb', 'الطيب'];
    const first = names.map((n) => structuredClone(nameWords(n)));
    assert.ok(first.every((words) => words.length > 0 && words.every((w) => w.keys.length > 0)));
    assert.deepEqual(
      names.map((n) => nameWords(n)),
      first,
    );
    for (let i = 0; i < 5000; i++) nameWords(`Name${i}x`); // more words than the cache holds
    assert.deepEqual(
      names.map((n) => nameWords(n)),
      first,
    );
  });
});
