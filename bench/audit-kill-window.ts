/**
 * What a kill -9 can lose of the audit trail (issue 20 item 1). The server (own process, PostgreSQL store, SMART on,
 * audit group-committed) answers reads by id from `clients` clients with a backend-services token; after `ms` it is
 * killed with SIGKILL mid-stream. Answered reads whose record never reached the database were lost: answered − rows
 * (rows of reads answered or still in flight; a record is written only after its answer). Prints one JSON object.
 * A SIGTERM loses none (server/auth/audit-shutdown.int.test.ts).
 * Usage: npx tsx bench/audit-kill-window.ts [rounds=3] [ms=3000] [clients=16]
 */
import pg from 'pg';
import { parseOptions } from './options.js';
import { freshDatabase, startServer } from './server-process.js';
import { authHeader, authSetup } from './auth-mode.js';

const [roundsArg = '3', msArg = '3000', clientsArg = '16'] = process.argv.slice(2);
const options = { ...parseOptions(['--store', 'postgres']), cpuProfDir: undefined };

async function round() {
  const db = await freshDatabase(options);
  const auth = authSetup('on');
  const server = await startServer(db, options, auth);
  try {
    const headers = { ...authHeader(), 'content-type': 'application/fhir+json' };
    const created = await fetch(`${server.baseUrl}/fhir/Patient`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Killed' }] }),
    });
    const id = ((await created.json()) as { id: string }).id;
    let answered = 0;
    let stop = false;
    const started = performance.now();
    const client = async () => {
      while (!stop) {
        try {
          const r = await fetch(`${server.baseUrl}/fhir/Patient/${id}`, { headers });
          await r.arrayBuffer();
          if (r.status === 200 && !stop) answered++;
        } catch {
          return; // the server is gone
        }
      }
    };
    const clients = Array.from({ length: Number(clientsArg) }, client);
    await new Promise((r) => setTimeout(r, Number(msArg)));
    process.kill(server.pid, 'SIGKILL');
    stop = true; // answers after the kill signal are not counted (none can come)
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(clients);
    const c = new pg.Client({ connectionString: db.env['DATABASE_URL'] });
    await c.connect();
    const rows = Number(
      (
        await c.query<{ n: string }>(
          `SELECT count(*) AS n FROM fhir_audit_event WHERE subtype = 'read' AND entity = $1`,
          [`Patient/${id}`],
        )
      ).rows[0]!.n,
    );
    await c.end();
    const lost = Math.max(0, answered - rows);
    const perSecond = answered / seconds;
    return {
      answered,
      rows,
      lost,
      readsPerSecond: Math.round(perSecond),
      lostWindowMs: Math.round((lost / perSecond) * 1000),
    };
  } finally {
    await server.stop().catch(() => undefined);
    await auth.close();
    await db.drop();
  }
}

const rounds = [];
for (let i = 0; i < Number(roundsArg); i++) rounds.push(await round());
console.log(JSON.stringify({ clients: Number(clientsArg), killAfterMs: Number(msArg), rounds }, null, 2));
