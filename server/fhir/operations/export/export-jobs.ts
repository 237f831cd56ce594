/**
 * Bulk export jobs kept on disk (a folder per job: job.json + the ndjson files), so a job's status and
 * files survive a restart of the process. One node's disk: behind a load balancer, use sticky routing
 * for /$export-poll-status and /$export-file, or a shared volume (written down in the README).
 */
import { mkdir, readFile, rename, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

export type ExportLevel = 'system' | 'patient' | 'group';

export type ExportJob = {
  id: string;
  status: 'in-progress' | 'completed' | 'failed' | 'cancelled';
  level: ExportLevel;
  groupId?: string;
  /** The kick-off request URL, echoed in the manifest. */
  request: string;
  /** Who asked (AccessPolicy.who): only they may poll and download. */
  owner: string;
  transactionTime: string;
  types: string[];
  since?: string;
  typeFilters: string[];
  output: Array<{ type: string; file: string; count: number }>;
  error: Array<{ type: string; message: string }>;
  progress: string;
  updatedAt: string;
};

export class ExportJobStore {
  constructor(readonly dir: string) {}

  async create(
    job: Omit<ExportJob, 'id' | 'status' | 'output' | 'error' | 'progress' | 'updatedAt'>,
  ): Promise<ExportJob> {
    const full: ExportJob = {
      ...job,
      id: randomUUID(),
      status: 'in-progress',
      output: [],
      error: [],
      progress: 'queued',
      updatedAt: new Date().toISOString(),
    };
    await mkdir(this.folder(full.id), { recursive: true });
    await this.save(full);
    return full;
  }

  folder(id: string): string {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error('invalid job id');
    return join(this.dir, id);
  }

  async get(id: string): Promise<ExportJob | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.folder(id), 'job.json'), 'utf8')) as ExportJob;
    } catch {
      return undefined;
    }
  }

  /** Atomic replace (write + rename), so a reader never sees half a file. */
  async save(job: ExportJob): Promise<void> {
    const path = join(this.folder(job.id), 'job.json');
    await writeFile(`${path}.tmp`, JSON.stringify({ ...job, updatedAt: new Date().toISOString() }));
    await rename(`${path}.tmp`, path);
  }

  async remove(id: string): Promise<void> {
    await rm(this.folder(id), { recursive: true, force: true });
  }

  /** Jobs left in-progress by a process that stopped: marked failed at start-up so clients are not left polling. */
  async failInterrupted(): Promise<number> {
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let count = 0;
    for (const name of names) {
      const job = await this.get(name);
      if (job?.status === 'in-progress') {
        await this.save({
          ...job,
          status: 'failed',
          error: [
            ...job.error,
            { type: 'OperationOutcome', message: 'The server stopped while the export ran; start a new export' },
          ],
        });
        count++;
      }
    }
    return count;
  }
}
