/**
 * FHIR Bulk Data Access (v2) kick-off, status and file endpoints:
 *   GET|POST [base]/$export, Patient/$export, Group/[id]/$export  (Prefer: respond-async) → 202 + Content-Location
 *   GET  [base]/$export-poll-status?_jobId=…  → 202 (X-Progress) while running, 200 + manifest (Expires) when done
 *   DELETE [base]/$export-poll-status?_jobId=… → 202: the job is cancelled, its files deleted, later polls 404
 *   GET  [base]/$export-file?_jobId=…&file=Observation.ndjson → the ndjson file (requiresAccessToken)
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FhirContext } from '../../fhir-context.js';
import type { FhirRequest, FhirResponse } from '../../fhir-request.js';
import { param } from '../../fhir-request.js';
import { badRequest, fhirError, notFound } from '../../errors.js';
import type { OperationHandler, OperationTarget } from '../operation-registry.js';
import { ExportJobStore, type ExportJob } from './export-jobs.js';
import { levelOf, readExportArguments } from './export-arguments.js';
import { groupMembers } from './export-scope.js';
import { runExport } from './run-export.js';

/** Jobs of this process still writing: cancelled by DELETE on their status URL, awaited by stop(). */
type RunningJobs = Map<string, { abort: AbortController; done: Promise<unknown> }>;

export type ExportOperations = {
  handlers: OperationHandler[];
  jobs: ExportJobStore;
  /** At start: interrupted jobs failed and their partial files removed; expired jobs deleted; the sweep started. */
  start(): Promise<{ interrupted: number; removed: number }>;
  /** Cancels the jobs in flight and waits until they have stopped writing (server shutdown). */
  stop(): Promise<void>;
};

export function exportOperations(jobsDir: string, options: { retentionMs?: number } = {}): ExportOperations {
  const jobs = new ExportJobStore(jobsDir, options.retentionMs);
  const running: RunningJobs = new Map();
  let sweep: NodeJS.Timeout | undefined;

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
    async start() {
      const recovered = await jobs.recoverAtStart();
      const every = Math.max(1000, Math.min(jobs.retentionMs / 4, 3600_000));
      sweep = setInterval(() => void jobs.sweepExpired().catch(() => undefined), every);
      sweep.unref();
      return recovered;
    },
    async stop() {
      if (sweep) clearInterval(sweep);
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
  const level = levelOf(target);
  const args = readExportArguments(ctx, request, level);
  const groupId = target.level === 'instance' ? target.id : undefined;
  const members = groupId ? await groupMembers(ctx, groupId) : undefined;
  const path = [target.level !== 'system' ? target.resourceType : '', groupId ?? '', '$export'].filter(Boolean);
  const job = await jobs.create({
    ...args,
    groupId,
    members,
    request: `${ctx.baseUrl}/${path.join('/')}`,
    owner: ctx.access.who,
    transactionTime: ctx.now().toISOString(),
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
    const run = running.get(job.id);
    run?.abort.abort();
    await run?.done; // stopped writing before its folder goes
    await jobs.remove(job.id);
    return {
      status: 202,
      resource: {
        resourceType: 'OperationOutcome',
        issue: [
          { severity: 'information', code: 'informational', diagnostics: `Export ${job.id} cancelled and deleted` },
        ],
      },
    };
  }
  const expires: Record<string, string> = job.expiresAt ? { Expires: new Date(job.expiresAt).toUTCString() } : {};
  switch (job.status) {
    case 'in-progress':
      return { status: 202, headers: { 'X-Progress': job.progress.slice(0, 99), 'Retry-After': '2' } };
    case 'failed':
      return {
        status: 500,
        headers: expires,
        resource: {
          resourceType: 'OperationOutcome',
          issue: job.error.map((e) => ({
            severity: 'error' as const,
            code: 'exception' as const,
            diagnostics: e.message,
          })),
        },
      };
    case 'completed':
      return {
        status: 200,
        raw: { contentType: 'application/json', body: JSON.stringify(manifest(ctx, job)) },
        headers: expires,
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
  const entry = job.status === 'completed' ? job.output.find((o) => o.file === file) : undefined;
  const path = entry ? join(jobs.folder(job.id), entry.file) : '';
  if (!entry || !existsSync(path)) throw notFound(`Export ${job.id} has no file ${file.slice(0, 80)}`);
  // A download under way keeps its open file even if the job expires meanwhile (the data is unlinked, not cut).
  return { status: 200, raw: { contentType: 'application/fhir+ndjson', body: createReadStream(path) } };
}

async function ownedJob(ctx: FhirContext, request: FhirRequest, jobs: ExportJobStore): Promise<ExportJob> {
  const id = param(request, '_jobId') ?? '';
  const job = await jobs.get(id);
  if (!job) throw notFound(`No export job ${id.slice(0, 60)} (unknown, deleted or expired)`);
  if (job.owner !== ctx.access.who) throw fhirError(403, 'forbidden', 'This export belongs to another client');
  return job;
}
