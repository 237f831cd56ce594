/**
 * One ndjson file: batches of `PUT [type]/[id]` in a batch Bundle. A line without an id gets one derived from its
 * position and text, so a rerun writes the same resource. The journal's `linesDone` moves after each batch up to
 * the last line before the first failure of this run: a rerun resumes at the first line not known to be loaded.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ImportRun } from './bulk-import.js';
import { deterministicId } from './idempotent-bundle.js';
import { okStatus } from './fhir-http.js';
import { parseJson } from '../json/parse-json.js';

type Line = { lineNo: number; resource: Record<string, unknown> };

export async function importNdjson(run: ImportRun): Promise<void> {
  const { file, state, summary } = run;
  const size = run.options.batchSize ?? 500;
  const resumeFrom = state.files[file]?.linesDone ?? 0;
  let lineNo = 0;
  let failedAt: number | undefined;
  let batch: Line[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const response = await run.http.post({
      resourceType: 'Bundle',
      type: 'batch',
      entry: batch.map(({ resource }) => ({
        resource,
        request: { method: 'PUT', url: `${String(resource.resourceType)}/${String(resource.id)}` },
      })),
    });
    for (const [i, line] of batch.entries()) {
      const status = response.ok ? response.body.entry?.[i]?.response?.status : String(response.status);
      if (okStatus(status)) {
        summary.resources++;
        continue;
      }
      failedAt ??= line.lineNo;
      const message = response.ok ? response.body.entry?.[i]?.response?.message : response.message;
      run.fail(`${file} line ${line.lineNo}: ${status ?? 'no status'} ${message ?? ''}`);
    }
    batch = [];
    state.files[file] = { ...state.files[file]!, linesDone: failedAt !== undefined ? failedAt - 1 : lineNo };
    run.save();
    run.progress(lineNo);
  };

  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const text of lines) {
    lineNo++;
    if (lineNo <= resumeFrom || text.trim() === '') continue;
    let resource: Record<string, unknown>;
    try {
      resource = parseJson(text) as Record<string, unknown>; // lossless: 1.50 is sent as 1.50
    } catch {
      failedAt ??= lineNo;
      run.fail(`${file} line ${lineNo}: not JSON`);
      continue;
    }
    if (typeof resource.resourceType !== 'string' || !/^[A-Z][A-Za-z]+$/.test(resource.resourceType)) {
      failedAt ??= lineNo;
      run.fail(`${file} line ${lineNo}: not a FHIR resource`);
      continue;
    }
    if (typeof resource.id !== 'string') resource = { ...resource, id: deterministicId(`${lineNo}:${text}`) };
    batch.push({ lineNo, resource });
    if (batch.length >= size) await flush();
  }
  await flush();
}
