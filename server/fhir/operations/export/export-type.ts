/**
 * One type of one export job → `<Type>.ndjson`, each resource at most once, as it was at transactionTime:
 *
 * 1. Main pass: the store-level search (current versions, lastUpdated ≤ transactionTime, ≥ `_since`), once per
 *    `_typeFilter` query of the type (OR-ed) and per member chunk (Group level), under the caller's AccessPolicy,
 *    a page at a time into `<Type>.ndjson.main`. A resource found by two filters is written by the first one
 *    (decided in memory from the filters themselves; with chains or `_has`, from the keys written so far); one in
 *    two chunks' compartments by its first chunk (export-scope.ts).
 * 2. Snapshot pass: resources of the type changed after transactionTime (history) are taken out of the main file
 *    (the main pass may have read them before or after the change) and written as they were at transactionTime,
 *    when they existed then and meet the same criteria.
 * Every written resource passes the read decision of the caller (callerMayRead).
 */
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import type { FhirContext } from '../../fhir-context.js';
import { FhirError } from '../../errors.js';
import { matchesSearch } from '../../search/matches.js';
import { searchPages } from '../../search/store-search.js';
import { callerMayRead, readableVersions } from '../caller-may-read.js';
import type { ExportJob } from './export-jobs.js';
import type { ExportScope } from './export-scope.js';
import { copyExcept, NdjsonWriter } from './ndjson-file.js';
import { changedAfter, versionAt } from './snapshot.js';
import { withAbsoluteAttachmentUrls } from './attachment-urls.js';

const PAGE_SIZE = 1000;

type Params = Array<[string, string]>;

/** Writes `<Type>.ndjson` in `dir`; resolves with its number of lines (0: no file is left). */
export async function exportType(
  ctx: FhirContext,
  job: ExportJob,
  scope: ExportScope,
  type: string,
  dir: string,
  signal: AbortSignal,
): Promise<number> {
  const filters = job.typeFilters.filter((f) => f.type === type).map((f) => f.params);
  const passes: Params[] = filters.length > 0 ? filters : [[]];
  const finalPath = join(dir, `${type}.ndjson`);
  const main = new NdjsonWriter(`${finalPath}.main`);
  try {
    await mainPass(ctx, job, scope, type, passes, main, signal);
  } finally {
    await main.close();
  }
  if (signal.aborted) return 0;

  const late = await changedAfter(ctx.store, type, job.transactionTime);
  if (late.size === 0) {
    if (main.count === 0) await rm(main.path, { force: true });
    else await rename(main.path, finalPath);
    return main.count;
  }
  const out = new NdjsonWriter(finalPath);
  try {
    await copyExcept(main.path, out, late);
    for (const id of late) {
      if (signal.aborted) break;
      const then = await versionAt(ctx.store, type, id, job.transactionTime);
      if (then?.resource && (await inExport(ctx, job, scope, type, passes, then.resource)))
        await out.write(withAbsoluteAttachmentUrls(then.resource, ctx.baseUrl));
    }
  } finally {
    await out.close();
    await rm(main.path, { force: true });
  }
  if (out.count === 0) await rm(finalPath, { force: true });
  return out.count;
}

async function mainPass(
  ctx: FhirContext,
  job: ExportJob,
  scope: ExportScope,
  type: string,
  passes: Params[],
  out: NdjsonWriter,
  signal: AbortSignal,
): Promise<void> {
  const window: Params = [['_lastUpdated', `le${job.transactionTime}`]];
  if (job.since) window.push(['_lastUpdated', `ge${job.since}`]);
  const needsKeys = passes.length > 1 && passes.some((p) => p.some(([name]) => needsOtherResources(name)));
  const written = needsKeys ? new Set<string>() : undefined;
  for (const [p, filter] of passes.entries()) {
    for (const [c, where] of scope.chunks.entries()) {
      const pages = searchPages(
        {
          store: ctx.store,
          resourceTypes: [type],
          params: [...filter, ...window, ['_total', 'none']],
          where,
          count: PAGE_SIZE,
          baseUrl: ctx.baseUrl,
          access: ctx.access,
          handling: 'strict',
        },
        ctx.search,
      );
      for await (const versions of pages) {
        if (signal.aborted) return;
        const readable = new Set(await readableVersions(ctx, versions));
        for (const version of versions) {
          const { resource } = version;
          if (!resource || scope.ownerChunk(resource) !== c || !readable.has(version)) continue;
          if (written ? written.has(resource.id ?? '') : p > 0 && matchesAny(ctx, resource, passes.slice(0, p)))
            continue;
          written?.add(resource.id ?? '');
          await out.write(withAbsoluteAttachmentUrls(resource, ctx.baseUrl));
        }
      }
    }
  }
}

/** The criteria of the main pass, checked on one version (the version current at transactionTime). */
async function inExport(
  ctx: FhirContext,
  job: ExportJob,
  scope: ExportScope,
  type: string,
  passes: Params[],
  resource: Resource,
): Promise<boolean> {
  if (job.since && Date.parse(resource.meta?.lastUpdated ?? '') < Date.parse(job.since)) return false;
  if (scope.ownerChunk(resource) === undefined || !(await callerMayRead(ctx, resource))) return false;
  for (const filter of passes) {
    if (filter.length === 0) return true;
    const local = matchesLocally(ctx, resource, filter);
    if (local !== undefined ? local : await matchesInStore(ctx, type, resource.id ?? '', filter)) return true;
  }
  return false;
}

function matchesAny(ctx: FhirContext, resource: Resource, filters: Params[]): boolean {
  return filters.some((f) => matchesLocally(ctx, resource, f) === true);
}

/** In memory; undefined when the filter needs other resources (chains, `_has`). */
function matchesLocally(ctx: FhirContext, resource: Resource, filter: Params): boolean | undefined {
  if (filter.some(([name]) => needsOtherResources(name))) return undefined;
  try {
    return matchesSearch(resource, resource.resourceType, filter, { baseUrl: ctx.baseUrl });
  } catch (err) {
    if (err instanceof FhirError) return undefined;
    throw err;
  }
}

/**
 * A chain or `_has` filter on a version that changed after transactionTime: evaluated by the store on the current
 * version's index (the referenced resources are current too) — the one place the export reads past its instant.
 */
async function matchesInStore(ctx: FhirContext, type: string, id: string, filter: Params): Promise<boolean> {
  const result = await ctx.search({
    store: ctx.store,
    resourceTypes: [type],
    params: [...filter, ['_id', id], ['_total', 'none']],
    count: 1,
    baseUrl: ctx.baseUrl,
    access: ctx.access,
    handling: 'strict',
  });
  return result.matches.length > 0;
}

function needsOtherResources(name: string): boolean {
  return name.startsWith('_has:') || name.includes('.');
}
