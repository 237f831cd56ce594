import type { SearchHarness } from './search-harness.js';
export function resultTests(_h: () => SearchHarness): void {}
