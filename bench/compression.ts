/**
 * Response compression (issue #25): bytes and CPU of a 100-entry Observation searchset sent as it is, gzip and br.
 * The server (real app, in this process) runs on a fresh PGlite with the largest Synthea patient of the corpus loaded;
 * the client is raw node:http that does not inflate, so the process CPU per request is the server's work plus a thin
 * client. compressionCpuMsPerRequest = CPU per request with the encoding minus CPU per request without it.
 * Prints one JSON object. Usage: npx tsx bench/compression.ts [--requests 300]
 */
import os from 'node:os';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { pgliteTestStore } from '../server/store/postgres/testing/test-stores.js';
import { startTestServer } from '../server/testing/test-server.js';
import { SYNTHEA } from './synthea-data.js';
import { percentile } from './stats.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '300' } } });
const requests = Number(values.requests);
const log = (line: string) => console.error(`[compression] ${line}`);

function rawGet(url: string, encoding: string | undefined): Promise<{ bytes: number; encoding?: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/fhir+json' };
    if (encoding) headers['accept-encoding'] = encoding;
    const req = request(url, { headers, agent: keepAlive }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ bytes, encoding: res.headers['content-encoding'] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

const folder = join(SYNTHEA, 'smart-r4-2019');
const largest = readdirSync(folder)
  .filter((f) => f.endsWith('.json'))
  .map((f) => join(folder, f))
  .sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
const opened = await pgliteTestStore();
const server = await startTestServer(opened.store, { env: { MAX_BODY_BYTES: String(64 * 1024 * 1024) } });
try {
  const bundle = JSON.parse(readFileSync(largest, 'utf8')) as { type: string };
  const loaded = await server.fhir('/', { method: 'POST', body: bundle });
  if (loaded.status !== 200) throw new Error(loaded.text.slice(0, 500));
  const patient = await server.fhir('/Patient?_count=1');
  const patientId = patient.body.entry[0].resource.id as string;
  const url = `${server.baseUrl}/Observation?subject=Patient/${patientId}&_count=100`;
  const results: Record<string, unknown> = {};
  const cpuPerRequest: Record<string, number> = {};
  for (const encoding of [undefined, 'gzip', 'br', undefined]) {
    const label = encoding ?? 'identity';
    for (let i = 0; i < 10; i++) await rawGet(url, encoding);
    const latencies: number[] = [];
    let bytes = 0;
    let got: string | undefined;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      const r = await rawGet(url, encoding);
      latencies.push(performance.now() - t);
      bytes = r.bytes;
      got = r.encoding;
    }
    const cpu = process.cpuUsage(cpu0);
    cpuPerRequest[label] = (cpu.user + cpu.system) / 1000 / requests;
    results[label] = {
      contentEncoding: got ?? 'identity',
      bytesPerResponse: bytes,
      cpuMsPerRequest: Number(cpuPerRequest[label].toFixed(3)),
      p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    };
    log(`${label}: ${bytes} bytes, ${cpuPerRequest[label].toFixed(2)} ms CPU/request`);
  }
  const identity = results['identity'] as { bytesPerResponse: number };
  const out = {
    benchmark: 'response-compression',
    searchset: 'Observation?subject=…&_count=100 (100 entries, Synthea)',
    requestsPerEncoding: requests,
    results,
    bytesSaved: {
      gzip: 1 - (results['gzip'] as { bytesPerResponse: number }).bytesPerResponse / identity.bytesPerResponse,
      br: 1 - (results['br'] as { bytesPerResponse: number }).bytesPerResponse / identity.bytesPerResponse,
    },
    compressionCpuMsPerRequest: {
      gzip: Number((cpuPerRequest['gzip']! - cpuPerRequest['identity']!).toFixed(3)),
      br: Number((cpuPerRequest['br']! - cpuPerRequest['identity']!).toFixed(3)),
    },
    context: { cpus: os.availableParallelism(), loadavg: os.loadavg(), node: process.version, store: 'pglite' },
  };
  console.log(JSON.stringify(out, null, 2));
} finally {
  keepAlive.destroy();
  await server.close();
  await opened.store.close().catch(() => undefined);
  await opened.dispose();
}
