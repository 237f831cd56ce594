/**
 * Loading phases over HTTP: the Synthea ingest figure (reference batches, then patient transactions with bounded
 * concurrency) and scaling the database up with generated copies of the patient bundles.
 */
import { readFileSync } from 'node:fs';
import { runPool } from './stats.js';
import { authHeader } from './auth-mode.js';
import {
  loadTemplate,
  pipesFiles,
  scaledCopy,
  smartPatientFiles,
  type ObservationSample,
  type Template,
} from './synthea-data.js';

export type PatientSample = { id: string; family: string; observation?: ObservationSample };

type Json = Record<string, any>;

export async function postBundle(baseUrl: string, body: string): Promise<Json> {
  const res = await fetch(`${baseUrl}/fhir`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', ...authHeader() },
    body,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`bundle POST answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Json;
}

function created(response: Json): { count: number; patientId?: string } {
  let count = 0;
  let patientId: string | undefined;
  for (const e of (response['entry'] ?? []) as Json[]) {
    const status = String(e['response']?.status ?? '');
    if (status.startsWith('201')) count++;
    const loc = String(e['response']?.location ?? '');
    if (!patientId && loc.startsWith('Patient/')) patientId = loc.split('/')[1];
  }
  return { count, patientId };
}

export type IngestResult = {
  resources: number;
  seconds: number;
  perSecond: number;
  bundles: number;
  samples: PatientSample[];
};

/** The ingest figure: reference bundles first (batch, ifNoneExist), then patient bundles as transactions. */
export async function ingestSynthea(
  baseUrl: string,
  concurrency: number,
  patientLimit?: number,
): Promise<IngestResult> {
  const { reference, patients } = pipesFiles();
  const chosen = patientLimit === undefined ? patients : patients.slice(0, patientLimit);
  const bodies = [...reference, ...chosen].map((f) => JSON.stringify(JSON.parse(readFileSync(f, 'utf8'))));
  const samples: PatientSample[] = [];
  let resources = 0;
  const start = performance.now();
  for (const body of bodies.slice(0, reference.length)) resources += created(await postBundle(baseUrl, body)).count;
  await runPool(chosen.length, concurrency, async (i) => {
    const result = created(await postBundle(baseUrl, bodies[reference.length + i]!));
    resources += result.count;
    if (result.patientId) samples.push(sampleOf(result.patientId, loadTemplate(chosen[i]!)));
  });
  const seconds = (performance.now() - start) / 1000;
  return { resources, seconds: round(seconds), perSecond: round(resources / seconds), bundles: bodies.length, samples };
}

export type ScaleResult = {
  resources: number;
  seconds: number;
  perSecond: number;
  transactions: number;
  samples: PatientSample[];
  stoppedByTimeLimit: boolean;
};

/** Posts generated copies of the patient bundles until `target` more resources exist. */
export async function scaleUp(
  baseUrl: string,
  target: number,
  concurrency: number,
  log: (line: string) => void,
  maxMinutes = Infinity,
): Promise<ScaleResult> {
  // Both sets, interleaved: the SMART bundles carry the Observations the searches need, even at a small scale.
  const pipes = pipesFiles().patients;
  const smart = smartPatientFiles();
  const files = Array.from({ length: Math.max(pipes.length, smart.length) }, (_, i) => [smart[i], pipes[i]])
    .flat()
    .filter((f): f is string => f !== undefined);
  const templates: Template[] = files.map(loadTemplate);
  const perRound = templates.reduce((s, t) => s + t.entries, 0);
  const samples: PatientSample[] = [];
  let resources = 0;
  let transactions = 0;
  let lastLog = performance.now();
  const start = performance.now();
  const estimate = Math.ceil(target / (perRound / templates.length));
  let stopped = false;
  // A pool over an estimated count; it ends early once the target is reached.
  await runPool(target <= 0 ? 0 : estimate + templates.length, concurrency, async (i) => {
    if (stopped || resources >= target || performance.now() - start > maxMinutes * 60_000) {
      stopped = true;
      return;
    }
    const template = templates[i % templates.length]!;
    const copy = scaledCopy(template, i);
    const result = created(await postBundle(baseUrl, copy.text));
    resources += result.count;
    transactions++;
    if (result.patientId) samples.push(sampleOf(result.patientId, template, copy.family));
    if (performance.now() - lastLog > 15_000) {
      lastLog = performance.now();
      const rate = resources / ((lastLog - start) / 1000);
      log(
        `scaling: ${resources.toLocaleString('en')} / ${target.toLocaleString('en')} resources, ${Math.round(rate)}/s, ~${Math.round((target - resources) / rate / 60)} min left`,
      );
    }
  });
  const seconds = (performance.now() - start) / 1000;
  return {
    resources,
    seconds: round(seconds),
    perSecond: round(resources / Math.max(seconds, 0.001)),
    transactions,
    samples,
    stoppedByTimeLimit: resources < target,
  };
}

function sampleOf(id: string, template: Template, family = template.family): PatientSample {
  return { id, family, ...(template.observation ? { observation: template.observation } : {}) };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
