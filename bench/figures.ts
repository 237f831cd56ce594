/** The printed JSON: one figure per measurement, each with its value, unit, target and whether it was met. */
import type { LatencySummary } from './stats.js';

export type Figure = {
  value: number;
  unit: string;
  target: string;
  met: boolean | null;
  detail?: Record<string, unknown>;
};

/** Issue #20's targets (2 cores, PostgreSQL server store, auth on; the searches at 1M resources). */
export const TARGETS = {
  ingestPerSecond: 4_000,
  concurrentCreatesPerSecond: 1_500,
  readP50Ms: 1,
  searchP50Ms: 5,
  hl7PerSecond: 500,
  peakRssMb: 300,
} as const;

export function atLeast(value: number, target: number, unit: string, detail?: Record<string, unknown>): Figure {
  return { value, unit, target: `>= ${target}`, met: value >= target, ...(detail ? { detail } : {}) };
}

export function atMost(value: number, target: number, unit: string, detail?: Record<string, unknown>): Figure {
  return { value, unit, target: `<= ${target}`, met: value <= target, ...(detail ? { detail } : {}) };
}

/** No target: reported for information. */
export function info(value: number, unit: string, detail?: Record<string, unknown>): Figure {
  return { value, unit, target: 'none', met: null, ...(detail ? { detail } : {}) };
}

export function latencyDetail(s: LatencySummary): Record<string, unknown> {
  return { p50Ms: s.p50, p99Ms: s.p99, meanMs: s.mean, requestsPerSecond: s.perSecond, requests: s.count };
}
