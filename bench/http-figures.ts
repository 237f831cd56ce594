/**
 * Request figures over HTTP: create (sequential and concurrent), read by id, and the common searches.
 * The creates go through postFhir (node:http on keep-alive sockets), lighter for the bench client than the global fetch
 * (its Request/Response objects and web streams) on the same 2 cores as the server; NILECARE_BENCH_CLIENT=fetch sends
 * them through fetch as before (request-cpu.ts reports the client's CPU per request either way).
 */
import http from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { timed, type LatencySummary } from './stats.js';
import type { PatientSample } from './load-data.js';
import type { Patient } from '@medplum/fhirtypes';
import { authHeader } from './auth-mode.js';
import { commonNamePatient, distinctPatient } from './bench-patients.js';

const JSON_HEADERS = { accept: 'application/fhir+json' } as const;
const headers = (more: Record<string, string> = {}) => ({ ...JSON_HEADERS, ...authHeader(), ...more });

async function expectOk(res: Response, what: string): Promise<any> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Each create batch of this process draws other people (the auth-off pass of `--auth both` runs the creates again). */
let batches = 0;

export type CreateFigures = { sequential: LatencySummary; concurrent: LatencySummary; ids: string[] };

async function createPatient(baseUrl: string, patient: Patient): Promise<string> {
  const res = await postFhir(`${baseUrl}/fhir/Patient`, JSON.stringify(patient));
  if (res.status >= 300) throw new Error(`create Patient answered ${res.status}: ${res.text.slice(0, 300)}`);
  const body = JSON.parse(res.text);
  if (res.status !== 201 || typeof body.id !== 'string')
    throw new Error(`create Patient answered ${res.status} without an id`);
  return body.id;
}

/** The create clients' connections, kept alive (as fetch's dispatcher keeps them). */
const agent = new http.Agent({ keepAlive: true });
const USE_FETCH = process.env.NILECARE_BENCH_CLIENT === 'fetch';

/**
 * POST of a FHIR JSON body, answered as status and text. The request headers are those fetch sends that the server
 * reads (accept, content-type, accept-encoding gzip/deflate, the bench's Authorization), so the server does the same
 * work (a compressed answer is inflated here, as fetch does).
 */
export async function postFhir(url: string, body: string): Promise<{ status: number; text: string }> {
  const sent = headers({ 'content-type': 'application/fhir+json', 'accept-encoding': 'gzip, deflate' });
  if (USE_FETCH) {
    const res = await fetch(url, { method: 'POST', headers: sent, body });
    return { status: res.status, text: await res.text() };
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { ...sent, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          const encoding = res.headers['content-encoding'];
          const plain = encoding === 'gzip' ? gunzipSync(bytes) : encoding === 'deflate' ? inflateSync(bytes) : bytes;
          resolve({ status: res.statusCode ?? 0, text: plain.toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Creates of distinct, realistic people (bench/bench-patients.ts): sequential, then from `concurrency` clients. */
export async function measureCreates(baseUrl: string, count: number, concurrency: number): Promise<CreateFigures> {
  const ids: string[] = [];
  const seed = ++batches;
  const create = async (i: number) => {
    ids.push(await createPatient(baseUrl, distinctPatient(seed, i)));
  };
  const sequentialCount = Math.max(10, Math.round(count / 3));
  const sequential = await timed(sequentialCount, 1, create);
  const concurrent = await timed(count, concurrency, (i) => create(sequentialCount + i));
  return { sequential, concurrent, ids };
}

/**
 * Creates of `count` patients all named "محمد أحمد علي" (distinct birth dates) from `concurrency` clients: the cost of
 * the duplicate check on create when a name is common (each create meets every earlier namesake as a candidate).
 */
export async function measureCommonNameCreates(
  baseUrl: string,
  count: number,
  concurrency: number,
): Promise<LatencySummary> {
  const seed = ++batches;
  return timed(count, concurrency, async (i) => {
    await createPatient(baseUrl, commonNamePatient(seed, i));
  });
}

export async function measureReads(baseUrl: string, ids: string[], count: number): Promise<LatencySummary> {
  // Warm-up pass (connection, plan cache), then the measured sequential reads.
  for (const id of ids.slice(0, 10))
    await expectOk(await fetch(`${baseUrl}/fhir/Patient/${id}`, { headers: headers() }), 'read');
  return timed(count, 1, async (i) => {
    const id = ids[(i * 7919) % ids.length]!;
    const body = await expectOk(await fetch(`${baseUrl}/fhir/Patient/${id}`, { headers: headers() }), 'read Patient');
    if (body.id !== id) throw new Error(`read Patient/${id} returned ${body.id}`);
  });
}

/** A page of 20 Patients with no condition, `count` times in a row: the fixed cost of answering a searchset page. */
export async function measurePages(baseUrl: string, count: number): Promise<LatencySummary> {
  const url = `${baseUrl}/fhir/Patient?_count=20`;
  for (let i = 0; i < 10; i++) await expectOk(await fetch(url, { headers: headers() }), 'page');
  return timed(count, 1, async () => {
    const body = await expectOk(await fetch(url, { headers: headers() }), 'page of Patients');
    if (body.entry?.length !== 20) throw new Error(`page of Patients held ${body.entry?.length} entries, not 20`);
  });
}

export const SEARCHES = {
  patientByName: (s: PatientSample) => `Patient?name=${encodeURIComponent(s.family)}`,
  observationByPatientCodeDate: (s: PatientSample) => {
    const year = Number(s.observation!.date.slice(0, 4));
    return `Observation?patient=${s.id}&code=${encodeURIComponent(s.observation!.code)}&date=ge${year - 1}-01-01&date=lt${year + 2}-01-01`;
  },
  encounterByPatientSortedByDate: (s: PatientSample) => `Encounter?patient=${s.id}&_sort=-date`,
  chainedEncounterBySubjectName: (s: PatientSample) => `Encounter?subject:Patient.name=${encodeURIComponent(s.family)}`,
  includeEncounterParticipants: (s: PatientSample) => `Encounter?patient=${s.id}&_include=Encounter:participant`,
} as const;
export type SearchName = keyof typeof SEARCHES;

export type SearchFigure = LatencySummary & { meanMatches: number; example: string };

/** Each search over a rotation of sampled patients: one warm-up pass, then `count` sequential requests. */
export async function measureSearches(
  baseUrl: string,
  samples: PatientSample[],
  count: number,
  names = Object.keys(SEARCHES) as SearchName[],
): Promise<Partial<Record<SearchName, SearchFigure>>> {
  const out: Partial<Record<SearchName, SearchFigure>> = {};
  const withFamily = samples.filter((s) => s.family);
  const withObservation = samples.filter((s) => s.observation);
  for (const name of names) {
    const pool =
      name === 'observationByPatientCodeDate' ? withObservation : name.includes('Name') ? withFamily : samples;
    if (pool.length === 0) throw new Error(`no sample patients for search ${name}`);
    const pick = (i: number) => pool[(i * 7919) % pool.length]!;
    const url = (i: number) => `${baseUrl}/fhir/${SEARCHES[name](pick(i))}`;
    let matches = 0;
    for (let i = 0; i < Math.min(5, count); i++)
      await expectOk(await fetch(url(i + count), { headers: headers() }), name);
    const summary = await timed(count, 1, async (i) => {
      const body = await expectOk(await fetch(url(i), { headers: headers() }), `search ${name}`);
      matches += (body.entry ?? []).filter((e: any) => e.search?.mode !== 'include').length;
    });
    out[name] = { ...summary, meanMatches: Math.round((matches / count) * 10) / 10, example: SEARCHES[name](pick(0)) };
  }
  return out;
}
