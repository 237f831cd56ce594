/**
 * Runs one export job: one ndjson file per type (export-type.ts), a page at a time with back-pressure, so memory
 * stays flat whatever the size of the export; progress is saved after each type. A cancelled job (DELETE, server
 * stop) stops between pages and leaves its folder to whoever cancelled it; a failure is recorded in the job.
 */
import type { FhirContext } from '../../fhir-context.js';
import type { ExportJob, ExportJobStore } from './export-jobs.js';
import { exportScope } from './export-scope.js';
import { exportType } from './export-type.js';

export async function runExport(
  ctx: FhirContext,
  jobs: ExportJobStore,
  job: ExportJob,
  signal: AbortSignal,
): Promise<void> {
  const output: ExportJob['output'] = [];
  try {
    for (const [n, type] of job.types.entries()) {
      if (signal.aborted) return;
      const scope = exportScope(ctx, job, type);
      const count = await exportType(ctx, job, scope, type, jobs.folder(job.id), signal);
      if (signal.aborted) return;
      if (count > 0) output.push({ type, file: `${type}.ndjson`, count });
      await jobs.save({ ...job, output, progress: `${n + 1}/${job.types.length} types exported (${type})` });
    }
    output.sort((a, b) => a.type.localeCompare(b.type));
    await jobs.finish(job, { status: 'completed', output, error: [], progress: 'completed' });
  } catch (error) {
    if (signal.aborted) return; // cancelled or shutting down: the job folder may be gone already
    // If even the failure cannot be recorded, the job stays in-progress and is marked failed at the next start.
    await jobs
      .finish(job, {
        status: 'failed',
        output: [],
        error: [{ type: 'OperationOutcome', message: (error as Error).message }],
        progress: 'failed',
      })
      .catch(() => undefined);
  }
}
