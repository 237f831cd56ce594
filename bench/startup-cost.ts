/**
 * What start-up costs (issue 20): a fresh server process as `npm start` runs it (bench/server-process.ts) on a fresh
 * database; CPU seconds of the server process (/proc, user + system) and its resident memory when it answers /readyz,
 * then when the first validated create (`POST /fhir/Patient`) is answered, then the first create of a few other types,
 * then after `--idle-seconds` without requests (background work started at start-up shows there).
 * Usage: npx tsx bench/startup-cost.ts [--store postgres|pglite] [--auth on|off] [--idle-seconds 10]
 * Prints one JSON object.
 */
import { readFileSync } from 'node:fs';
import { parseOptions } from './options.js';
import { freshDatabase, startServer } from './server-process.js';
import { authHeader, authSetup } from './auth-mode.js';
import { cpuTicks } from './cpu-meter.js';

const argv = process.argv.slice(2);
const idleAt = argv.indexOf('--idle-seconds');
const idleSeconds = idleAt >= 0 ? Number(argv.splice(idleAt, 2)[1]) : 10;
const options = parseOptions(argv);
const authMode = options.auth === 'on' ? 'on' : 'off';

function point(pid: number, startedAt: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return {
    wallSeconds: Math.round((performance.now() - startedAt) / 10) / 100,
    cpuSeconds: cpuTicks(pid) / 100,
    rssMb: Math.round(kb('VmRSS') / 1024),
    peakRssMb: Math.round(kb('VmHWM') / 1024),
  };
}

const db = await freshDatabase(options);
const auth = authSetup(authMode);
const startedAt = performance.now();
const server = await startServer(db, options, auth);
const points: Record<string, unknown> = { ready: point(server.pid, startedAt) };
try {
  const post = async (resource: Record<string, unknown>) => {
    const res = await fetch(`${server.baseUrl}/fhir/${resource.resourceType as string}`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', ...authHeader() },
      body: JSON.stringify(resource),
    });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`POST ${resource.resourceType as string}: ${res.status}`);
    return (res.headers.get('location') ?? '').split('/_history')[0]!.split('/').slice(-2).join('/');
  };
  const patient = await post({
    resourceType: 'Patient',
    name: [{ family: 'Osman', given: ['Amna'] }],
    gender: 'female',
    birthDate: '1980-01-02',
  });
  points.firstValidatedCreate = point(server.pid, startedAt);
  await post({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: patient },
    valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });
  await post({
    resourceType: 'Encounter',
    status: 'finished',
    class: { code: 'AMB' },
    subject: { reference: patient },
  });
  await post({ resourceType: 'Condition', subject: { reference: patient }, code: { text: 'fever' } });
  points.fourTypesCreated = point(server.pid, startedAt);
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  points[`after${idleSeconds}sIdle`] = point(server.pid, startedAt);
} finally {
  await server.stop();
  await auth.close();
  await db.drop();
}
console.log(JSON.stringify({ benchmark: 'startup-cost', store: options.store, auth: authMode, points }, null, 2));
