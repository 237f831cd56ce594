/** The word index against a plain scan of the same rows: prefixes, several words, words repeated, paging, totals. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WordIndex } from './word-index.js';

const rows = [
  ' lobe lower left ', // 0: two words share the prefix "lo"
  ' renal lobe renal ', // 1: a word twice
  ' left upper ',
  ' lower renal c3 ',
  ' ',
  ' lobectomy renal c5 ',
].map((words, seq) => ({ seq, words }));
const index = WordIndex.build(rows);

/** The oracle: every filter word starts some word of the concept. */
function scan(filter: string[]): number[] {
  return rows
    .filter((r) => filter.every((f) => r.words.split(' ').some((w) => w !== '' && w.startsWith(f))))
    .map((r) => r.seq);
}

describe('WordIndex', () => {
  for (const filter of [['lo'], ['lo', 'renal'], ['lobe'], ['renal', 'renal'], ['c'], ['zzz'], ['l', 'u'], ['left']]) {
    it(`matches ${filter.join(' ')} as a scan does`, () => {
      const want = scan(filter);
      assert.deepEqual(index.match(filter, 0, 100), { seqs: want, total: want.length });
    });
  }

  it('pages in position order and keeps the total of every match', () => {
    const all = scan(['l']);
    assert.ok(all.length >= 4);
    assert.deepEqual(index.match(['l'], 1, 2), { seqs: all.slice(1, 3), total: all.length });
    assert.deepEqual(index.match(['l'], all.length, 5), { seqs: [], total: all.length });
  });
});
