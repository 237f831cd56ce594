/**
 * Bulk export jobs kept on disk (a folder per job: job.json + the ndjson files), so a job's status and
 * files survive a restart of the process. One node's disk: behind a load balancer, use sticky routing
 * for /$export-poll-status and /$export-file, or a shared volume (written down in the README).
 *
 * Lifetime (as HAPI does): a finished job (completed or failed) and its files are kept for the retention
 * period (EXPORT_RETENTION_HOURS, 24 h by default), announced in the manifest's `Expires` header, then deleted
 * by a sweep; a poll or download after that answers 404. DELETE on the status URL removes the job at once.
 * At start-up, jobs that a stop or crash interrupted are marked failed and their partial files removed. Only
 * those: several processes (or app instances in one process) may share the folder, so a job another live process
 * of this host is running, or one this process is running, is left alone, as is the empty folder a kick-off has
 * only just made (its job.json not written yet). Without this, one instance starting while another exported
 * deleted the other's files mid-export, and the finished export's downloads answered 404.
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TypeFilter } from './type-filters.js';

export type ExportLevel = 'system' | 'patient' | 'group';

export type ExportJob = {
  id: string;
  status: 'in-progress' | 'completed' | 'failed';
  level: ExportLevel;
  groupId?: string;
  /** Group level: the Patient ids of the Group's members at kick-off. */
  members?: string[];
  /** The kick-off request URL, echoed in the manifest. */
  request: string;
  /** Who asked (AccessPolicy.who): only they may poll and download. */
  owner: string;
  /** The export is a snapshot at this instant: nothing written after it appears. */
  transactionTime: string;
  types: string[];
  since?: string;
  typeFilters: TypeFilter[];
  output: Array<{ type: string; file: string; count: number }>;
  error: Array<{ type: string; message: string }>;
  progress: string;
  updatedAt: string;
  /** Set when the job finishes: after this instant the job and its files are deleted. */
  expiresAt?: string;
  /** The process running the job (absent in jobs written before it was recorded). */
  runner?: { host: string; pid: number };
};

export type NewExportJob = Omit<ExportJob, 'id' | 'status' | 'output' | 'error' | 'progress' | 'updatedAt' | 'runner'>;

const JOB_ID = /^[0-9a-f-]{36}$/;

/** An empty folder younger than this, without its job.json, is a kick-off under way elsewhere, not a leftover. */
const KICK_OFF_GRACE_MS = 60_000;

/** Jobs started by this process and not finished yet (every ExportJobStore of the process sees them). */
const runningHere = new Set<string>();

/** Whether another live process of this host runs the job; a job of this process's pid not running here is from a
 * previous process that had the same pid (a container restarted as pid 1). */
function runByAnotherLiveProcess(job: ExportJob): boolean {
  const runner = job.runner;
  if (!runner || runner.host !== hostname() || runner.pid === process.pid) return false;
  try {
    process.kill(runner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class ExportJobStore {
  constructor(
    readonly dir: string,
    /** How long a finished job and its files are kept. */
    readonly retentionMs: number = 24 * 3600_000,
    private readonly now: () => number = Date.now,
  ) {}

  async create(job: NewExportJob): Promise<ExportJob> {
    const full: ExportJob = {
      ...job,
      id: randomUUID(),
      status: 'in-progress',
      output: [],
      error: [],
      progress: 'queued',
      updatedAt: new Date(this.now()).toISOString(),
      runner: { host: hostname(), pid: process.pid },
    };
    runningHere.add(full.id);
    await mkdir(this.folder(full.id), { recursive: true });
    await this.save(full);
    return full;
  }

  folder(id: string): string {
    if (!JOB_ID.test(id)) throw new Error('invalid job id');
    return join(this.dir, id);
  }

  /** The job, or undefined when unknown, deleted or expired (an expired one is removed on the way). */
  async get(id: string): Promise<ExportJob | undefined> {
    const job = await this.read(id);
    if (job && this.expired(job)) {
      await this.remove(id);
      return undefined;
    }
    return job;
  }

  /** Atomic replace (write + rename), so a reader never sees half a file. */
  async save(job: ExportJob): Promise<void> {
    const path = join(this.folder(job.id), 'job.json');
    await writeFile(`${path}.tmp`, JSON.stringify({ ...job, updatedAt: new Date(this.now()).toISOString() }));
    await rename(`${path}.tmp`, path);
  }

  /** Records the end of a job (completed or failed) and when it expires. */
  async finish(job: ExportJob, result: Pick<ExportJob, 'status' | 'output' | 'error' | 'progress'>): Promise<void> {
    await this.save({ ...job, ...result, expiresAt: new Date(this.now() + this.retentionMs).toISOString() });
    runningHere.delete(job.id);
  }

  async remove(id: string): Promise<void> {
    runningHere.delete(id);
    await rm(this.folder(id), { recursive: true, force: true });
  }

  /** Deletes finished jobs past their expiry (and their files). Returns how many went. */
  async sweepExpired(): Promise<number> {
    let count = 0;
    for (const id of await this.ids()) {
      const job = await this.read(id);
      if (job && this.expired(job)) {
        await this.remove(id);
        count++;
      }
    }
    return count;
  }

  /**
   * At start-up, before any job runs: a job left in-progress by a process that stopped (or crashed) is marked
   * failed and its partial files are deleted, so clients are not left polling and no half export stays on disk;
   * a folder without a job record (a crash during kick-off) is removed; expired jobs go too.
   */
  async recoverAtStart(): Promise<{ interrupted: number; removed: number }> {
    let interrupted = 0;
    let removed = 0;
    for (const id of await this.ids()) {
      if (runningHere.has(id)) continue;
      const job = await this.read(id);
      if (!job && (await this.kickOffUnderWay(id))) continue;
      if (!job || this.expired(job)) {
        await this.remove(id);
        removed++;
        continue;
      }
      if (job.status !== 'in-progress' || runByAnotherLiveProcess(job)) continue;
      for (const name of await readdir(this.folder(id)))
        if (name !== 'job.json') await rm(join(this.folder(id), name), { recursive: true, force: true });
      await this.finish(job, {
        status: 'failed',
        output: [],
        error: [
          ...job.error,
          { type: 'OperationOutcome', message: 'The server stopped while the export ran; start a new export' },
        ],
        progress: 'failed',
      });
      interrupted++;
    }
    return { interrupted, removed };
  }

  /** An empty folder made moments ago: a kick-off (mkdir, then job.json) in another process or instance. */
  private async kickOffUnderWay(id: string): Promise<boolean> {
    try {
      const young = this.now() - (await stat(this.folder(id))).mtimeMs < KICK_OFF_GRACE_MS;
      return young && (await readdir(this.folder(id))).length === 0;
    } catch {
      return false;
    }
  }

  private expired(job: ExportJob): boolean {
    return job.expiresAt !== undefined && Date.parse(job.expiresAt) <= this.now();
  }

  private async read(id: string): Promise<ExportJob | undefined> {
    if (!JOB_ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.folder(id), 'job.json'), 'utf8')) as ExportJob;
    } catch {
      return undefined;
    }
  }

  private async ids(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((name) => JOB_ID.test(name));
    } catch {
      return [];
    }
  }
}
