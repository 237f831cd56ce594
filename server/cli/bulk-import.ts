/**
 * Bulk loader: ndjson files (one resource a line, as $export writes them) and folders of Bundles, sent to a
 * NileCare FHIR server over its REST API. A rerun after any interruption (Ctrl-C, kill -9, a server that went
 * away) ends with exactly the data of one clean load:
 * - ndjson lines go in batches of `PUT [type]/[id]` (lines without an id get one derived from the line), and the
 *   journal records after each batch how far every line succeeded, so a rerun resumes there;
 * - Bundles are sent so that sending one twice writes the same resources (idempotent-bundle.ts); the journal marks
 *   a Bundle "sending" before it goes, and a rerun first asks the server whether that transaction committed;
 * - a file is complete only when every entry (or line) succeeded; a rerun skips complete files and retries the
 *   others, and the exit code is not 0 while anything failed;
 * - a folder's files go in name order, except Synthea's batch Bundles of shared resources (hospitalInformation*,
 *   practitionerInformation*), which go first: the patient Bundles refer to them by conditional references
 *   (`Practitioner?identifier=…`) that only resolve once they are loaded. JSON files that are not FHIR at all (no
 *   resourceType, e.g. Synthea's metadata/ run record) are skipped and listed, not failed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { idempotentBundle, type BundleJson } from './idempotent-bundle.js';
import { importNdjson } from './import-ndjson.js';
import { lockJournal, readState, writeState, type ImportState } from './import-state.js';
import { FhirHttp, okStatus } from './fhir-http.js';
import { parseJson } from '../json/parse-json.js';

export type ImportProgress = {
  file: string;
  /** Lines (ndjson) or entries (Bundle) of this file handled so far. */
  done: number;
  /** Resources loaded by this run so far, every file counted (failed entries are not). */
  loaded: number;
  /** Entries or lines that failed in this run so far, every file counted. */
  failed: number;
  fileIndex: number;
  files: number;
};

export type ImportOptions = {
  baseUrl: string;
  paths: string[];
  statePath: string;
  token?: string;
  batchSize?: number;
  onProgress?: (event: ImportProgress) => void;
  /** Called when a file is finished (complete or not). */
  onFile?: (event: {
    file: string;
    complete: boolean;
    fileIndex: number;
    files: number;
    loaded: number;
    failed: number;
  }) => void;
  /** Every failure, as it happens (the summary keeps only the first FAILURES_KEPT). */
  onFailure?: (message: string) => void;
};

/** How many failure lines the summary carries; onFailure sees them all. */
export const FAILURES_KEPT = 20;

export type ImportSummary = {
  files: number;
  /** Resources loaded by this run (entries that succeeded). */
  resources: number;
  failed: number;
  skippedFiles: number;
  /** Bundles a previous, interrupted run had sent and the server had committed (not sent again). */
  alreadyCommitted: number;
  /** The first FAILURES_KEPT failures (`failed` counts them all). */
  failures: string[];
  /** JSON files that are not FHIR (no resourceType): skipped, not failed. */
  notFhir: string[];
  seconds: number;
};

/**
 * Synthea writes the resources its patient Bundles share (Organization, Location, Practitioner, PractitionerRole)
 * to batch Bundles named hospitalInformation<time>.json and practitionerInformation<time>.json: they load first.
 */
const LOAD_FIRST = [/^hospitalInformation\d*\.json$/, /^practitionerInformation\d*\.json$/];
const loadRank = (name: string) => {
  const rank = LOAD_FIRST.findIndex((re) => re.test(name));
  return rank < 0 ? LOAD_FIRST.length : rank;
};

/** A folder's entries in load order: Synthea's shared batch Bundles first, then by name. */
export function loadOrder(names: readonly string[]): string[] {
  return [...names].sort((a, b) => loadRank(a) - loadRank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export function listImportFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    if (!existsSync(abs)) throw new Error(`No such file or folder: ${p}`);
    if (statSync(abs).isDirectory()) {
      out.push(
        ...listImportFiles(
          loadOrder(readdirSync(abs).filter((n) => !n.startsWith('.'))).map((n) => join(abs, n)),
        ).filter((f) => /\.(ndjson|json)$/.test(f)),
      );
    } else {
      out.push(abs);
    }
  }
  return out;
}

export type ImportRun = {
  options: ImportOptions;
  http: FhirHttp;
  state: ImportState;
  summary: ImportSummary;
  file: string;
  key: string;
  fileIndex: number;
  files: number;
  save(): void;
  fail(message: string, count?: number): void;
  progress(done: number): void;
};

export async function importPaths(options: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const release = lockJournal(options.statePath);
  try {
    return await importFiles(options, started);
  } finally {
    release();
  }
}

async function importFiles(options: ImportOptions, started: number): Promise<ImportSummary> {
  const state = readState(options.statePath);
  const http = new FhirHttp(options.baseUrl, options.token);
  const summary: ImportSummary = {
    files: 0,
    resources: 0,
    failed: 0,
    skippedFiles: 0,
    alreadyCommitted: 0,
    failures: [],
    notFhir: [],
    seconds: 0,
  };
  const files = listImportFiles(options.paths);
  for (const [fileIndex, file] of files.entries()) {
    const stat = statSync(file);
    const key = `${stat.size}:${stat.mtimeMs}`;
    const previous = state.files[file];
    if (previous?.complete && previous.key === key) {
      summary.skippedFiles++;
      continue;
    }
    if (!previous || previous.key !== key) state.files[file] = { key, linesDone: 0, complete: false };
    summary.files++;
    const failedBefore = summary.failed;
    const run: ImportRun = {
      options,
      http,
      state,
      summary,
      file,
      key,
      fileIndex,
      files: files.length,
      save: () => writeState(options.statePath, state),
      fail(message, count = 1) {
        summary.failed += count;
        if (summary.failures.length < FAILURES_KEPT) summary.failures.push(message);
        options.onFailure?.(message);
      },
      progress: (done) =>
        options.onProgress?.({
          file,
          done,
          loaded: summary.resources,
          failed: summary.failed,
          fileIndex,
          files: files.length,
        }),
    };
    if (file.endsWith('.ndjson')) await importNdjson(run);
    else await importBundleFile(run);
    const complete = summary.failed === failedBefore;
    state.files[file] = { ...state.files[file]!, complete, sending: false };
    run.save();
    options.onFile?.({
      file,
      complete,
      fileIndex,
      files: files.length,
      loaded: summary.resources,
      failed: summary.failed,
    });
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

async function importBundleFile(run: ImportRun): Promise<void> {
  const { file, state, summary } = run;
  const text = readFileSync(file, 'utf8');
  let parsed: BundleJson;
  try {
    parsed = parseJson(text) as BundleJson; // lossless: 1.50 is sent as 1.50
  } catch {
    run.fail(`${file}: not JSON`);
    return;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || parsed.resourceType === undefined) {
    summary.notFhir.push(file);
    return;
  }
  if (parsed.resourceType !== 'Bundle' || (parsed.type !== 'transaction' && parsed.type !== 'batch')) {
    run.fail(`${file}: not a transaction or batch Bundle`);
    return;
  }
  const { bundle, probe } = idempotentBundle(parsed, text);
  const entries = bundle.entry?.length ?? 0;
  const fileState = state.files[file]!;

  if (fileState.sending && bundle.type === 'transaction' && probe && (await run.http.exists(probe))) {
    // The previous run was stopped after sending this transaction; it committed (all or nothing).
    summary.alreadyCommitted++;
    summary.resources += entries;
    run.progress(entries);
    return;
  }
  state.files[file] = { ...fileState, sending: true };
  run.save();
  const response = await run.http.post(bundle);
  if (!response.ok) {
    run.fail(`${file}: ${response.status} ${response.message}`, entries);
    return;
  }
  for (const [i, entry] of (response.body.entry ?? []).entries()) {
    if (okStatus(entry.response?.status)) summary.resources++;
    else run.fail(`${file} entry ${i}: ${entry.response?.status ?? 'no status'} ${entry.response?.message ?? ''}`);
  }
  run.progress(entries);
}
