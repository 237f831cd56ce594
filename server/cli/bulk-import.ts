/**
 * Bulk loader: ndjson files (one resource a line, as $export writes them) and folders of Bundles, sent to a
 * NileCare FHIR server over its REST API. ndjson lines go in batches of PUT [type]/[id] (idempotent: the ids
 * of the export are kept, so references hold), Bundles are POSTed as they are (transaction or batch).
 * Progress is recorded in a state file after every committed batch, so an interrupted load resumes where it
 * stopped without writing anything twice.
 */
import { createReadStream, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseJson } from '../json/parse-json.js';
import { stringifyJson } from '../json/stringify-json.js';

export type ImportOptions = {
  baseUrl: string;
  paths: string[];
  statePath: string;
  token?: string;
  batchSize?: number;
  onProgress?: (event: { file: string; done: number; total?: number }) => void;
};

export type ImportSummary = {
  files: number;
  resources: number;
  failed: number;
  skippedFiles: number;
  failures: string[];
  seconds: number;
};

type ImportState = { files: Record<string, { key: string; linesDone: number; complete: boolean }> };

export function listImportFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    if (!existsSync(abs)) throw new Error(`No such file or folder: ${p}`);
    if (statSync(abs).isDirectory()) {
      out.push(
        ...listImportFiles(
          readdirSync(abs)
            .sort()
            .map((n) => join(abs, n)),
        ).filter((f) => /\.(ndjson|json)$/.test(f)),
      );
    } else {
      out.push(abs);
    }
  }
  return out;
}

export async function importPaths(options: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const state = readState(options.statePath);
  const summary: ImportSummary = { files: 0, resources: 0, failed: 0, skippedFiles: 0, failures: [], seconds: 0 };
  for (const file of listImportFiles(options.paths)) {
    const stat = statSync(file);
    const key = `${stat.size}:${stat.mtimeMs}`;
    const previous = state.files[file];
    if (previous?.complete && previous.key === key) {
      summary.skippedFiles++;
      continue;
    }
    const resumeFrom = previous && previous.key === key ? previous.linesDone : 0;
    summary.files++;
    if (file.endsWith('.ndjson')) {
      await importNdjson(options, file, key, resumeFrom, state, summary);
    } else {
      await importBundleFile(options, file, summary);
    }
    state.files[file] = { key, linesDone: state.files[file]?.linesDone ?? 0, complete: true };
    writeState(options.statePath, state);
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

async function importNdjson(
  options: ImportOptions,
  file: string,
  key: string,
  resumeFrom: number,
  state: ImportState,
  summary: ImportSummary,
) {
  const size = options.batchSize ?? 500;
  let lineNo = 0;
  let batch: Array<Record<string, unknown>> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const results = await send(options, {
      resourceType: 'Bundle',
      type: 'batch',
      entry: batch.map((resource) => ({
        resource,
        request: resource.id
          ? { method: 'PUT', url: `${resource.resourceType}/${resource.id}` }
          : { method: 'POST', url: String(resource.resourceType) },
      })),
    });
    for (const [i, entry] of (results.entry ?? []).entries()) {
      if (/^20[01]/.test(entry.response?.status ?? '')) summary.resources++;
      else {
        summary.failed++;
        if (summary.failures.length < 50)
          summary.failures.push(
            `${file} line ${lineNo - batch.length + i + 1}: ${entry.response?.status} ${entry.response?.outcome?.issue?.[0]?.diagnostics ?? ''}`,
          );
      }
    }
    batch = [];
    state.files[file] = { key, linesDone: lineNo, complete: false };
    writeState(options.statePath, state);
    options.onProgress?.({ file, done: lineNo });
  };
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    lineNo++;
    if (lineNo <= resumeFrom || line.trim() === '') continue;
    try {
      batch.push(parseJson(line) as Record<string, unknown>); // lossless: 1.50 is sent as 1.50
    } catch {
      summary.failed++;
      summary.failures.push(`${file} line ${lineNo}: not JSON`);
      continue;
    }
    if (batch.length >= size) await flush();
  }
  await flush();
}

async function importBundleFile(options: ImportOptions, file: string, summary: ImportSummary) {
  const bundle = parseJson(readFileSync(file, 'utf8')) as { resourceType?: string; type?: string; entry?: unknown[] };
  if (bundle.resourceType !== 'Bundle' || (bundle.type !== 'transaction' && bundle.type !== 'batch')) {
    summary.failed++;
    summary.failures.push(`${file}: not a transaction or batch Bundle`);
    return;
  }
  try {
    const result = await send(options, bundle);
    for (const entry of result.entry ?? []) {
      if (/^20[01]/.test(entry.response?.status ?? '')) summary.resources++;
      else summary.failed++;
    }
  } catch (error) {
    summary.failed += bundle.entry?.length ?? 1;
    summary.failures.push(`${file}: ${(error as Error).message}`);
  }
  options.onProgress?.({ file, done: bundle.entry?.length ?? 0 });
}

type ResponseBundle = {
  entry?: Array<{ response?: { status?: string; outcome?: { issue?: Array<{ diagnostics?: string }> } } }>;
};

async function send(options: ImportOptions, bundle: unknown): Promise<ResponseBundle> {
  const response = await fetch(options.baseUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/fhir+json',
      accept: 'application/fhir+json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: stringifyJson(bundle),
  });
  const body = (await response.json().catch(() => ({}))) as ResponseBundle & {
    issue?: Array<{ diagnostics?: string }>;
  };
  if (!response.ok) throw new Error(`${response.status}: ${body.issue?.[0]?.diagnostics ?? 'request failed'}`);
  return body;
}

function readState(path: string): ImportState {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ImportState;
  } catch {
    return { files: {} };
  }
}

function writeState(path: string, state: ImportState): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(state));
  renameSync(`${path}.tmp`, path);
}
