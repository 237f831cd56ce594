import type { SearchHarness } from './search-harness.js';
export function accessTests(_h: () => SearchHarness): void {}
