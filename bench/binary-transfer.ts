/**
 * Issue #21: a large Binary up and down over HTTP against the server in its own process, as `npm start` runs it.
 * Prints MB/s of the upload (raw body, Content-Length) and of the download (raw bytes), the server's peak resident
 * memory sampled every 50 ms during the transfer (VmRSS) and its resident memory before — target ≤ 350 MB peak, i.e.
 * streamed, not held. The bytes are generated as a stream and hashed on return (identical, or the run fails).
 * Usage: npx tsx bench/binary-transfer.ts [--store postgres|pglite] [--mb 200]   (prints one JSON object)
 */
import { readFileSync } from 'node:fs';
import { parseOptions } from './options.js';
import { freshDatabase, startServer } from './server-process.js';
import { pseudoRandomBytes } from '../server/store/content/testing/pseudo-random-bytes.js';
import { fetchHashed, hashOf, sendBytes } from '../server/fhir/binary/testing/http-bytes.js';

const argv = process.argv.slice(2);
const mbIndex = argv.indexOf('--mb');
const mb = mbIndex >= 0 ? Number(argv.splice(mbIndex, 2)[1]) : 200;
const options = parseOptions(argv);
const size = mb * 1024 * 1024;

const rssMb = (pid: number): number =>
  Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);

const db = await freshDatabase(options);
db.env['MAX_CONTENT_BYTES'] = String(size + 1024 * 1024);
const server = await startServer(db, options);
let peak = 0;
const sampler = setInterval(() => {
  try {
    peak = Math.max(peak, rssMb(server.pid));
  } catch {
    // the server has exited
  }
}, 50);
try {
  await new Promise((r) => setTimeout(r, 2000));
  const before = rssMb(server.pid);
  const expected = await hashOf(pseudoRandomBytes(size, 'bench'));
  peak = 0;
  let started = performance.now();
  const created = await sendBytes(`${server.baseUrl}/fhir/Binary`, {
    method: 'POST',
    contentType: 'application/pdf',
    length: size,
    source: pseudoRandomBytes(size, 'bench', 256 * 1024),
  });
  const uploadS = (performance.now() - started) / 1000;
  if (created.status !== 201) throw new Error(`upload answered ${created.status}: ${created.text.slice(0, 300)}`);
  const uploadPeak = peak;
  peak = 0;
  started = performance.now();
  const got = await fetchHashed(`${server.baseUrl}/fhir/Binary/${created.body.id}`, { accept: 'application/pdf' });
  const downloadS = (performance.now() - started) / 1000;
  if (got.sha1 !== expected.sha1 || got.size !== size) throw new Error('the downloaded bytes differ from the upload');
  console.log(
    JSON.stringify(
      {
        benchmark: 'binary-transfer',
        store: options.store,
        megabytes: mb,
        uploadMBps: Math.round((mb / uploadS) * 10) / 10,
        downloadMBps: Math.round((mb / downloadS) * 10) / 10,
        serverRssBeforeMb: before,
        serverPeakRssUploadMb: uploadPeak,
        serverPeakRssDownloadMb: peak,
        targetPeakRssMb: 350,
        identical: true,
        note: 'loopback HTTP, client generating/hashing in its own process; 2-core machine shared with other work',
      },
      null,
      2,
    ),
  );
} finally {
  clearInterval(sampler);
  await server.stop();
  await db.drop();
}
