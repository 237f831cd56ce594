/**
 * An in-memory word-prefix index of an uploaded code system (concept table): every distinct word of the concepts'
 * `words` column, sorted, each with the ascending positions (`seq`) of the concepts holding it. A text filter is
 * answered here — each filter word is a prefix range of the sorted words, the ranges intersected on a byte per
 * concept — so that $expand with a filter knows its exact total and fetches only its page's rows by position, instead
 * of scanning or counting in SQL. About 4 bytes per (concept, word): ≈ 2 MB for 100k concepts of 4 words.
 */
export class WordIndex {
  private constructor(
    /** Concepts (positions 0 … size − 1). */
    readonly size: number,
    private readonly words: readonly string[],
    private readonly postings: readonly Int32Array[],
  ) {}

  /** From (seq, words) rows in ascending seq; `words` is the column's text (` w1 w2 … `). */
  static build(rows: Iterable<{ seq: number; words: string }>): WordIndex {
    const lists = new Map<string, number[]>();
    let size = 0;
    for (const { seq, words } of rows) {
      size = Math.max(size, seq + 1);
      for (const word of words.split(' ')) {
        if (!word) continue;
        let list = lists.get(word);
        if (!list) lists.set(word, (list = []));
        if (list[list.length - 1] !== seq) list.push(seq);
      }
    }
    const words = [...lists.keys()].sort();
    return new WordIndex(
      size,
      words,
      words.map((w) => Int32Array.from(lists.get(w)!)),
    );
  }

  /** The positions of the concepts that have, for every filter word, a word starting with it: page and total. */
  match(filterWords: readonly string[], offset: number, count: number): { seqs: number[]; total: number } {
    const wanted = [...new Set(filterWords)];
    if (wanted.length === 0 || wanted.length > 255) throw new Error('1 to 255 filter words');
    // hits[seq] = how many of the filter words so far the concept matched (each word counted once per concept)
    const hits = new Uint8Array(this.size);
    for (let i = 0; i < wanted.length; i++) {
      const prefix = wanted[i]!;
      for (let w = this.lowerBound(prefix); w < this.words.length && this.words[w]!.startsWith(prefix); w++) {
        const posting = this.postings[w]!;
        for (let j = 0; j < posting.length; j++) {
          const seq = posting[j]!;
          if (hits[seq] === i) hits[seq] = i + 1;
        }
      }
    }
    const all = wanted.length;
    const seqs: number[] = [];
    let total = 0;
    for (let seq = 0; seq < this.size; seq++) {
      if (hits[seq] !== all) continue;
      if (total >= offset && seqs.length < count) seqs.push(seq);
      total++;
    }
    return { seqs, total };
  }

  private lowerBound(prefix: string): number {
    let lo = 0;
    let hi = this.words.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.words[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
