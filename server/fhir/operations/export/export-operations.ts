/**
 * FHIR Bulk Data Access (v2) kick-off, status and file endpoints:
 *   GET|POST [base]/$export, Patient/$export, Group/[id]/$export  (Prefer: respond-async) → 202 + Content-Location
 *   GET  [base]/$export-poll-status?_jobId=…  → 202 (X-Progress) while running, 200 + manifest when done
 *   DELETE [base]/$export-poll-status?_jobId=… → 202, the job is cancelled and its files removed
 *   GET  [base]/$export-file?_jobId=…&file=Observation.ndjson → the ndjson file (requiresAccessToken)
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Parameters } from '@medplum/fhirtypes';
import type { FhirContext } from '../../fhir-context.js';
import type { FhirRequest, FhirResponse } from '../../fhir-request.js';
import { param } from '../../fhir-request.js';
import { badRequest, fhirError, forbidden, notFound } from '../../errors.js';
import { dateRange } from '../../indexing/normalize.js';
import type { OperationHandler, OperationTarget } from '../operation-registry.js';
import { ExportJobStore, type ExportJob } from './export-jobs.js';
import { runExport } from './run-export.js';

const NDJSON_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);

/** Jobs of this process still writing: cancelled by DELETE on their status URL, awaited by stop(). */
type RunningJobs = Map<string, { abort: AbortController; done: Promise<unknown> }>;

export type ExportOperations = {
  handlers: OperationHandler[];
  jobs: ExportJobStore;
  /** Cancels the jobs in flight and waits until they have stopped writing (server shutdown). */
  stop(): Promise<void>;
};

export function exportOperations(jobsDir: string): ExportOperations {
  const jobs = new ExportJobStore(jobsDir);
  const running: RunningJobs = new Map();

  const kickOff: OperationHandler = {
    name: 'export',
    definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export',
    levels: ['system', 'type', 'instance'],
    types: ['Patient', 'Group'],
    methods: ['GET', 'POST'],
    handle: (ctx, request, target) => startExport(ctx, request, target, jobs, running),
  };
  const status: OperationHandler = {
    name: 'export-poll-status',
    definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export',
    levels: ['system'],
    methods: ['GET', 'DELETE'],
    handle: (ctx, request) => pollStatus(ctx, request, jobs, running),
  };
  const file: OperationHandler = {
    name: 'export-file',
    definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export',
    levels: ['system'],
    methods: ['GET'],
    handle: (ctx, request) => downloadFile(ctx, request, jobs),
  };
  return {
    handlers: [kickOff, status, file],
    jobs,
    async stop() {
      const jobsInFlight = [...running.values()];
      for (const { abort } of jobsInFlight) abort.abort();
      await Promise.allSettled(jobsInFlight.map((j) => j.done));
    },
  };
}

async function startExport(
  ctx: FhirContext,
  request: FhirRequest,
  target: OperationTarget,
  jobs: ExportJobStore,
  running: RunningJobs,
): Promise<FhirResponse> {
  if (!ctx.prefer.respondAsync) throw badRequest('$export is asynchronous: send the header "Prefer: respond-async"');
  const args = readArguments(request);
  if (target.level === 'type' && target.resourceType !== 'Patient')
    throw badRequest('Type-level $export is defined for Patient only');
  if (target.level === 'instance' && target.resourceType !== 'Group')
    throw badRequest('Instance-level $export is defined for Group only');
  const format = args.get('_outputFormat');
  if (format && !NDJSON_FORMATS.has(format))
    throw badRequest(`_outputFormat ${format.slice(0, 40)} is not supported; use application/fhir+ndjson`);
  const since = args.get('_since') ?? undefined;
  if (since !== undefined && !dateRange(since))
    throw badRequest(`_since "${since.slice(0, 40)}" is not a FHIR instant`);
  const types = (args.getAll('_type').join(',') || '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of types) {
    if (!ctx.resourceTypes.has(t)) throw badRequest(`_type names an unknown resource type "${t.slice(0, 60)}"`);
  }
  const level = target.level === 'system' ? 'system' : target.level === 'type' ? 'patient' : 'group';
  const exportTypes =
    level === 'system' && types.length === 0
      ? [...ctx.resourceTypes].filter((t) => ctx.access.allows('search', t))
      : types;
  for (const t of exportTypes)
    if (!ctx.access.allows('search', t)) throw forbidden(`The access token does not permit exporting ${t}`);
  if (level === 'group') {
    const group = await ctx.store.read('Group', (target as { id: string }).id);
    if (!group || group.deleted) throw notFound(`Group/${(target as { id: string }).id} is not known`);
  }
  const job = await jobs.create({
    level,
    groupId: target.level === 'instance' ? target.id : undefined,
    request: `${ctx.baseUrl}/${[target.level !== 'system' ? target.resourceType : '', target.level === 'instance' ? target.id : '', '$export'].filter(Boolean).join('/')}`,
    owner: ctx.access.who,
    transactionTime: ctx.now().toISOString(),
    types: exportTypes,
    since,
    typeFilters: args
      .getAll('_typeFilter')
      .flatMap((f) => f.split(','))
      .filter(Boolean),
  });
  const abort = new AbortController();
  const done = runExport(ctx, jobs, job, abort.signal)
    .catch(() => undefined) // runExport records its own failures in the job
    .finally(() => running.delete(job.id));
  running.set(job.id, { abort, done });
  return {
    status: 202,
    headers: { 'Content-Location': `${ctx.baseUrl}/$export-poll-status?_jobId=${job.id}` },
    resource: {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', diagnostics: `Export ${job.id} started` }],
    },
  };
}

async function pollStatus(
  ctx: FhirContext,
  request: FhirRequest,
  jobs: ExportJobStore,
  running: RunningJobs,
): Promise<FhirResponse> {
  const job = await ownedJob(ctx, request, jobs);
  if (request.method === 'DELETE') {
    running.get(job.id)?.abort.abort();
    await jobs.remove(job.id);
    return { status: 202 };
  }
  switch (job.status) {
    case 'in-progress':
      return { status: 202, headers: { 'X-Progress': job.progress, 'Retry-After': '2' } };
    case 'failed':
      return {
        status: 500,
        resource: {
          resourceType: 'OperationOutcome',
          issue: job.error.map((e) => ({
            severity: 'error' as const,
            code: 'exception' as const,
            diagnostics: e.message,
          })),
        },
      };
    case 'cancelled':
      throw notFound(`Export ${job.id} was cancelled`);
    case 'completed':
      return {
        status: 200,
        raw: { contentType: 'application/json', body: JSON.stringify(manifest(ctx, job)) },
        headers: { Expires: new Date(Date.now() + 24 * 3600_000).toUTCString() },
      };
  }
}

function manifest(ctx: FhirContext, job: ExportJob) {
  return {
    transactionTime: job.transactionTime,
    request: job.request,
    requiresAccessToken: true,
    output: job.output.map((o) => ({
      type: o.type,
      url: `${ctx.baseUrl}/$export-file?_jobId=${job.id}&file=${encodeURIComponent(o.file)}`,
      count: o.count,
    })),
    error: [],
  };
}

async function downloadFile(ctx: FhirContext, request: FhirRequest, jobs: ExportJobStore): Promise<FhirResponse> {
  const job = await ownedJob(ctx, request, jobs);
  const file = param(request, 'file') ?? '';
  const entry = job.output.find((o) => o.file === file);
  const path = entry ? join(jobs.folder(job.id), entry.file) : '';
  if (!entry || !existsSync(path)) throw notFound(`Export ${job.id} has no file ${file.slice(0, 80)}`);
  return { status: 200, raw: { contentType: 'application/fhir+ndjson', body: createReadStream(path) } };
}

async function ownedJob(ctx: FhirContext, request: FhirRequest, jobs: ExportJobStore): Promise<ExportJob> {
  const id = param(request, '_jobId') ?? '';
  const job = await jobs.get(id);
  if (!job) throw notFound(`No export job ${id.slice(0, 60)}`);
  if (job.owner !== ctx.access.who) throw fhirError(403, 'forbidden', 'This export belongs to another client');
  return job;
}

/** Query parameters, or a Parameters body on POST (valueString / valueInstant). */
function readArguments(request: FhirRequest): URLSearchParams {
  const args = new URLSearchParams(request.params);
  const body = request.body as Parameters | undefined;
  if (body?.resourceType === 'Parameters') {
    for (const p of body.parameter ?? []) {
      const value = p.valueString ?? p.valueInstant ?? p.valueCode ?? p.valueDateTime;
      if (p.name && value !== undefined) args.append(p.name, value);
    }
  }
  return args;
}
