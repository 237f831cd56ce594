/**
 * One workload at a time against a server started with `--cpu-prof`, so that its profile shows that workload only
 * (start-up aside). Usage: npx tsx bench/profile-workload.ts <creates|reads|pages|hl7|ingest> [count=2000] [profile
 * dir=/tmp/nilecare-prof] [auth=off|on]  (on: SMART, a backend-services token, audit on: bench/auth-mode.ts)
 * Then: npx tsx bench/profile-summary.ts <dir>/<file>.cpuprofile
 */
import { mkdirSync } from 'node:fs';
import { parseOptions } from './options.js';
import { freshDatabase, startServer } from './server-process.js';
import { measureCreates, measurePages, measureReads } from './http-figures.js';
import { measureHl7 } from './hl7-figure.js';
import { ingestSynthea } from './load-data.js';
import { CpuMeter } from './cpu-meter.js';
import { authSetup } from './auth-mode.js';

const [workload = 'reads', countArg = '2000', dir = '/tmp/nilecare-prof', authArg = 'off'] = process.argv.slice(2);
const count = Number(countArg);
mkdirSync(dir, { recursive: true });
const options = { ...parseOptions([]), cpuProfDir: dir };
const db = await freshDatabase(options);
const auth = authSetup(authArg === 'on' ? 'on' : 'off');
const server = await startServer(db, options, auth);
const meter = await CpuMeter.open(
  server.pid,
  db.postgresDbName ? { adminUrl: options.postgresAdminUrl, dbName: db.postgresDbName } : undefined,
);
try {
  const start = await meter.snapshot();
  let result: unknown;
  switch (workload) {
    case 'creates':
      result = (await measureCreates(server.baseUrl, count, 16)).concurrent;
      break;
    case 'reads': {
      const { ids } = await measureCreates(server.baseUrl, 100, 4);
      result = await measureReads(server.baseUrl, ids, count);
      break;
    }
    case 'pages': {
      await measureCreates(server.baseUrl, 100, 4);
      result = await measurePages(server.baseUrl, count);
      break;
    }
    case 'hl7':
      result = await measureHl7(server.mllpPort, count, 16);
      break;
    case 'ingest':
      result = await ingestSynthea(server.baseUrl, 4);
      break;
    default:
      throw new Error(`unknown workload ${workload}`);
  }
  console.log(
    JSON.stringify(
      { workload, result: { ...(result as object), samples: undefined }, cpu: await meter.since(start) },
      null,
      2,
    ),
  );
} finally {
  await meter.close();
  await server.stop();
  await auth.close();
  await db.drop();
}
console.error(`profile written to ${dir}`);
