/** MapInputs for mapping unit tests: nothing merged, nothing referenced, no code maps, readings kept from 2000 on. */
import type { MapInputs } from '../projection.js';
import { noTranslation } from '../terminology.js';

export function mapInputs(overrides: Partial<MapInputs> = {}): MapInputs {
  return {
    lastUpdated: '2025-06-01T10:00:00.000Z',
    survivors: new Map(),
    asOf: new Map(),
    translate: noTranslation,
    readingsNotBefore: '2000-01-01T00:00:00.000Z',
    ...overrides,
  };
}
