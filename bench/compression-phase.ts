/**
 * The compression phases of `npm run bench` (issue #25): a page of up to 100 Observations of one sample patient
 * (`Observation?subject=Patient/…&_count=100`) asked `count` times with no Accept-Encoding, with gzip and with br, over
 * raw node:http (nothing inflated), against the server under test. Each encoding is its own phase, so the run's CPU
 * meter gives the server's CPU per request of each (cpu['compression.gzip'] minus cpu['compression.identity'] is what
 * compressing costs); the figures are the bytes saved. bench/compression.ts measures the same on a fresh PGlite.
 */
import { Agent, request } from 'node:http';
import { info, latencyDetail, type Figure } from './figures.js';
import type { PatientSample } from './load-data.js';
import { authHeader } from './auth-mode.js';
import { timed } from './stats.js';
import type { RunPhase } from './lastn-phase.js';

const ENCODINGS = ['identity', 'gzip', 'br'] as const;

function rawGet(agent: Agent, url: string, encoding: string): Promise<{ bytes: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    const headers = { accept: 'application/fhir+json', 'accept-encoding': encoding, ...authHeader() };
    const req = request(url, { headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve({ bytes, encoding: String(res.headers['content-encoding'] ?? 'identity') })
          : reject(new Error(`search answered ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function compressionFigures(
  phase: RunPhase,
  baseUrl: string,
  samples: PatientSample[],
  count: number,
): Promise<Record<string, Figure | null>> {
  const patient = samples.find((s) => s.observation) ?? samples[0];
  if (!patient) return { 'compression.gzip': null, 'compression.br': null };
  const url = `${baseUrl}/fhir/Observation?subject=Patient/${patient.id}&_count=100`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const got: Partial<Record<(typeof ENCODINGS)[number], { bytes: number; encoding: string; p50: number }>> = {};
  try {
    for (const encoding of ENCODINGS) {
      const r = await phase(
        `compression.${encoding}`,
        async () => {
          let last: { bytes: number; encoding: string } = { bytes: 0, encoding };
          for (let i = 0; i < 5; i++) await rawGet(agent, url, encoding);
          const summary = await timed(count, 1, async () => {
            last = await rawGet(agent, url, encoding);
          });
          return { ...last, summary };
        },
        () => count,
      );
      if (r) got[encoding] = { bytes: r.bytes, encoding: r.encoding, p50: latencyDetail(r.summary)['p50Ms'] as number };
    }
  } finally {
    agent.destroy();
  }
  const figure = (encoding: 'gzip' | 'br') => {
    const plain = got.identity;
    const packed = got[encoding];
    if (!plain || !packed || plain.bytes === 0) return null;
    return info(Math.round((1 - packed.bytes / plain.bytes) * 1000) / 1000, 'fraction of bytes saved', {
      bytesIdentity: plain.bytes,
      bytesEncoded: packed.bytes,
      contentEncoding: packed.encoding,
      p50MsIdentity: plain.p50,
      p50MsEncoded: packed.p50,
      searchset: url.slice(url.indexOf('/fhir/') + 6),
      cpu: `server CPU per request: cpu['compression.${encoding}'] vs cpu['compression.identity']`,
    });
  };
  return { 'compression.gzip': figure('gzip'), 'compression.br': figure('br') };
}
