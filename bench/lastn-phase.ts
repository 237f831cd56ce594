/**
 * The `$lastn` phase of `npm run bench` (issue #25): `Observation/$lastn?patient=…&category=vital-signs&max=3` for the
 * run's sample patients (the Synthea patients loaded and the scaled-up ones), one request at a time after a few
 * warm-ups, against the server under test (auth as the run's). Target: p50 <= 10 ms at 1M resources.
 * bench/lastn.ts measures the same on a generated database of a chosen size.
 */
import { atMost, latencyDetail, type Figure } from './figures.js';
import type { PatientSample } from './load-data.js';
import { authHeader } from './auth-mode.js';
import { timed } from './stats.js';

export const LASTN_TARGET_P50_MS = 10;

export type RunPhase = <T>(name: string, fn: () => Promise<T>, units?: (r: T) => number) => Promise<T | undefined>;

export const lastnQuery = (p: PatientSample) => `Observation/$lastn?patient=${p.id}&category=vital-signs&max=3`;

async function lastnOnce(baseUrl: string, p: PatientSample): Promise<number> {
  const res = await fetch(`${baseUrl}/fhir/${lastnQuery(p)}`, {
    headers: { accept: 'application/fhir+json', ...authHeader() },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`$lastn answered ${res.status}: ${text.slice(0, 300)}`);
  return ((JSON.parse(text) as { entry?: unknown[] }).entry ?? []).length;
}

export async function lastnFigure(
  phase: RunPhase,
  baseUrl: string,
  samples: PatientSample[],
  count: number,
): Promise<Figure | null> {
  const pool = samples.filter((s) => s.observation).length > 0 ? samples.filter((s) => s.observation) : samples;
  if (pool.length === 0) return null;
  const pick = (i: number) => pool[(i * 7919) % pool.length]!;
  const result = await phase(
    'lastn',
    async () => {
      for (let i = 0; i < Math.min(5, count); i++) await lastnOnce(baseUrl, pick(i + count));
      let entries = 0;
      const summary = await timed(count, 1, async (i) => {
        entries += await lastnOnce(baseUrl, pick(i));
      });
      return { summary, meanEntries: Math.round((entries / count) * 10) / 10 };
    },
    () => count,
  );
  return result
    ? atMost(result.summary.p50, LASTN_TARGET_P50_MS, 'ms p50', {
        ...latencyDetail(result.summary),
        meanEntries: result.meanEntries,
        example: lastnQuery(pick(0)),
      })
    : null;
}
