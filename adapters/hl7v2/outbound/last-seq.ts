/** The seq of the last change in the store's change log (0 when empty), read page by page. */
import type { ResourceStore } from '../../../server/store/resource-store.js';

export async function lastSeq(store: ResourceStore, pageSize = 50_000): Promise<number> {
  let seq = 0;
  for (;;) {
    const page = await store.changesAfter(seq, pageSize);
    const last = page[page.length - 1];
    if (!last) return seq;
    seq = last.seq;
    if (page.length < pageSize) return seq;
  }
}
