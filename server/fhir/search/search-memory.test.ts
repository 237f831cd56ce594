/** The shared search suite against the tiny in-memory store (the search logic without a database). */
import type { StoreFactory } from '../../store/testing/store-contract.js';
import { describeSearchContract } from './testing/search-contract.js';
import { MemorySearchStore } from './testing/memory-search-store.js';

const memoryStore: StoreFactory = async () => ({ store: new MemorySearchStore(), dispose: async () => {} });

describeSearchContract('in-memory test store (evaluate-condition.ts)', memoryStore);
