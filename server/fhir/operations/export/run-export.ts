/**
 * Runs one export job: page through the store with the caller's AccessPolicy and write one ndjson file per
 * type, a page at a time with back-pressure — memory stays flat whatever the size of the export.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../../fhir-context.js';
import type { ExportJob, ExportJobStore } from './export-jobs.js';
import { searchPages } from '../../search/store-search.js';
import { stringifyJson } from '../../../json/stringify-json.js';

const PAGE_SIZE = 1000;

export type ExportRun = { job: ExportJob; abort: AbortController };

export async function runExport(
  ctx: FhirContext,
  jobs: ExportJobStore,
  job: ExportJob,
  signal: AbortSignal,
): Promise<void> {
  const writers = new Map<string, { stream: WriteStream; file: string; count: number }>();
  const write = async (resource: Resource) => {
    let w = writers.get(resource.resourceType);
    if (!w) {
      const file = `${resource.resourceType}.ndjson`;
      w = { stream: createWriteStream(join(jobs.folder(job.id), file)), file, count: 0 };
      writers.set(resource.resourceType, w);
    }
    w.count++;
    if (!w.stream.write(stringifyJson(resource) + '\n')) await once(w.stream, 'drain'); // decimals as written
  };
  try {
    if (job.level === 'system') {
      for (const type of job.types) {
        if (signal.aborted) break;
        await exportType(ctx, job, type, undefined, write, signal);
        if (!signal.aborted) await jobs.save({ ...job, progress: `exported ${type}` });
      }
    } else {
      const patientIds = job.level === 'group' ? await groupMembers(ctx, job.groupId as string) : undefined;
      for await (const patientId of patientIds ? iterate(patientIds) : allPatientIds(ctx, signal)) {
        if (signal.aborted) break;
        await exportType(ctx, job, '', patientId, write, signal);
      }
    }
    await Promise.all(
      [...writers.values()].map(async (w) => {
        w.stream.end();
        await once(w.stream, 'finish');
      }),
    );
    if (signal.aborted) return;
    const output = [...writers.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, w]) => ({ type, file: w.file, count: w.count }));
    await jobs.save({ ...job, status: 'completed', output, progress: 'completed' });
  } catch (error) {
    for (const w of writers.values()) w.stream.destroy();
    if (signal.aborted) return; // cancelled or shutting down: the job folder may be gone already
    // If even the failure cannot be recorded, the job stays in-progress and is marked failed at the next start.
    await jobs
      .save({
        ...job,
        status: 'failed',
        error: [{ type: 'OperationOutcome', message: (error as Error).message }],
        progress: 'failed',
      })
      .catch(() => undefined);
  }
}

/** One type (system level) or one patient's compartment (patient/group level, all job types). */
async function exportType(
  ctx: FhirContext,
  job: ExportJob,
  type: string,
  patientId: string | undefined,
  write: (r: Resource) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const filters = patientId ? [[] as Array<[string, string]>] : filtersFor(job, type);
  const seen = filters.length > 1 ? new Set<string>() : undefined;
  for (const filter of filters) {
    const params: Array<[string, string]> = [['_total', 'none'], ...filter];
    if (job.since) params.push(['_lastUpdated', `ge${job.since}`]);
    const pages = searchPages(
      {
        store: ctx.store,
        resourceTypes: patientId ? job.types : [type],
        params,
        count: PAGE_SIZE,
        baseUrl: ctx.baseUrl,
        compartment: patientId ? { resourceType: 'Patient', id: patientId } : undefined,
        access: ctx.access,
        handling: 'strict',
      },
      ctx.search,
    );
    for await (const versions of pages) {
      if (signal.aborted) return;
      for (const version of versions) {
        const key = `${version.resourceType}/${version.id}`;
        if (seen?.has(key)) continue;
        seen?.add(key);
        await write(version.resource as Resource);
      }
    }
  }
}

/** `_typeFilter=Observation?category=laboratory` entries for this type (OR-ed); none = everything. */
function filtersFor(job: ExportJob, type: string): Array<Array<[string, string]>> {
  const own = job.typeFilters.filter((f) => f.startsWith(`${type}?`));
  if (own.length === 0) return [[]];
  return own.map((f) => [...new URLSearchParams(f.slice(type.length + 1)).entries()]);
}

async function* allPatientIds(ctx: FhirContext, signal: AbortSignal): AsyncGenerator<string> {
  const pages = searchPages(
    {
      store: ctx.store,
      resourceTypes: ['Patient'],
      params: [['_total', 'none']],
      count: PAGE_SIZE,
      baseUrl: ctx.baseUrl,
      access: ctx.access,
      handling: 'strict',
    },
    ctx.search,
  );
  for await (const versions of pages) {
    if (signal.aborted) return;
    for (const version of versions) yield version.id;
  }
}

async function groupMembers(ctx: FhirContext, groupId: string): Promise<string[]> {
  const group = await ctx.store.read('Group', groupId);
  const members = (group?.resource as { member?: Array<{ entity?: { reference?: string } }> } | null)?.member ?? [];
  return members
    .map((m) => m.entity?.reference ?? '')
    .filter((r) => r.startsWith('Patient/'))
    .map((r) => r.slice('Patient/'.length));
}

async function* iterate<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
