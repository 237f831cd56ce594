/**
 * The server under test in its own process, started as `npm start` starts it (node --heap-growing-percent=50
 * --expose-gc --experimental-async-context-frame --import tsx server/main.ts), on a fresh database; its peak resident
 * memory from /proc/<pid>/status (VmHWM); a graceful stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import mysql from 'mysql2/promise';
import type { BenchOptions } from './options.js';
import type { AuthSetup } from './auth-mode.js';
import { ownChild } from './child-processes.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export type FreshDatabase = {
  env: Record<string, string>;
  description: string;
  postgresDbName?: string;
  drop(): Promise<void>;
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function freshDatabase(options: BenchOptions): Promise<FreshDatabase> {
  const name = `nilecare_bench_${Date.now().toString(36)}_${process.pid}`;
  const store = options.reuseDb
    ? keptPostgresDatabase(options, options.reuseDb)
    : await freshStoreDatabase(options, name);
  // The HL7 listener's message log (nilecare_interop, MySQL): a fresh database too, dropped with the store's.
  const interop = new URL(options.interopMysqlUrl);
  interop.pathname = `/${name}_interop`;
  return {
    ...store,
    description: `${store.description}; HL7 log: MySQL database ${name}_interop`,
    env: { ...store.env, INTEROP_MYSQL_URL: interop.toString() },
    async drop() {
      await store.drop();
      if (options.keepDb && !options.reuseDb) return; // a reused database's run keeps nothing of its own
      const admin = await mysql.createConnection(options.interopMysqlUrl.replace(/\/[^/]*$/, '/'));
      await admin.query(`DROP DATABASE IF EXISTS \`${name}_interop\``);
      await admin.end();
    },
  };
}

/** An existing PostgreSQL database (--reuse-db), never dropped; the HL7 message log beside it is still fresh. */
function keptPostgresDatabase(options: BenchOptions, name: string): FreshDatabase {
  const url = new URL(options.postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    env: { NILECARE_STORE: 'postgres', DATABASE_URL: url.toString() },
    description: `postgres database ${name} (reused, kept)`,
    postgresDbName: name,
    drop: async () => undefined,
  };
}

async function freshStoreDatabase(options: BenchOptions, name: string): Promise<FreshDatabase> {
  switch (options.store) {
    case 'postgres': {
      const admin = new pg.Client({ connectionString: options.postgresAdminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(options.postgresAdminUrl);
      url.pathname = `/${name}`;
      return {
        env: { NILECARE_STORE: 'postgres', DATABASE_URL: url.toString() },
        description: `postgres database ${name}`,
        postgresDbName: name,
        async drop() {
          if (options.keepDb) return;
          const c = new pg.Client({ connectionString: options.postgresAdminUrl });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
        },
      };
    }
    case 'pglite': {
      const dir = mkdtempSync(join(tmpdir(), 'nilecare-bench-'));
      return {
        env: { NILECARE_STORE: 'pglite', PGLITE_DATA_DIR: join(dir, 'pglite'), EXPORT_DIR: join(dir, 'exports') },
        description: `pglite in ${dir}`,
        async drop() {
          if (!options.keepDb) rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    case 'mongo':
      return {
        env: { NILECARE_STORE: 'mongo', MONGODB_URL: options.mongoUrl!, MONGODB_DB: name },
        description: `mongo database ${name} (not dropped)`,
        drop: async () => undefined,
      };
  }
}

export type MemoryMb = { rssMb: number; peakRssMb: number };

export type ServerProcess = {
  baseUrl: string;
  /** The server's own HL7 v2 MLLP listener (MLLP_PORT), on a fresh nilecare_interop database. */
  mllpPort: number;
  pid: number;
  /** Peak resident set size so far (VmHWM), in MB. */
  peakRssMb(): number;
  /** Resident set size now (VmRSS) and the peak so far (VmHWM), in MB. */
  memoryMb(): MemoryMb;
  /** Undefined while the process runs; how it ended (code/signal, last stderr) once it has. */
  exitInfo(): string | undefined;
  stop(): Promise<void>;
};

/** A memory line of /proc/<pid>/status (VmHWM: peak resident since start; VmRSS: resident now), in MB. */
function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

export const vmHwmMb = (pid: number): number => statusMb(pid, 'VmHWM');
export const vmRssMb = (pid: number): number => statusMb(pid, 'VmRSS');

/**
 * The server's node flags, the same as `npm start`'s, `npm run start:prod`'s and the Dockerfile's (checked by
 * bench/server-flags.test.ts; why each, in startServer).
 */
export const SERVER_NODE_FLAGS = [
  '--heap-growing-percent=50',
  '--max-semi-space-size=4',
  '--expose-gc',
  '--experimental-async-context-frame',
] as const;

/**
 * The server's environment beside its flags, as `npm start`'s and the Dockerfile's: glibc's malloc with 2 arenas, not
 * 8 per core (the server's threads otherwise each take one; ~12 MB less RSS under load). The bench's own environment
 * overrides it (MALLOC_ARENA_MAX=8 to compare).
 */
export const SERVER_ENV = { MALLOC_ARENA_MAX: '2' } as const;

/** bench/child-processes.ts exitWithParent, for a server started from the build (which has no bench/ folder). */
const EXIT_WITH_PARENT = `if (process.env.NILECARE_BENCH_EXIT_WITH_PARENT === '1') {
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
  process.stdin.unref();
}`;

/** Starts the server with auth off, or with `auth` (bench/auth-mode.ts: its environment, then its token). */
export async function startServer(db: FreshDatabase, options: BenchOptions, auth?: AuthSetup): Promise<ServerProcess> {
  const port = await freePort();
  const mllpPort = await freePort();
  // SERVER_NODE_FLAGS, as package.json's "start": V8's old generation grows by 1.5x the live heap between full GCs,
  // not its adaptive up-to-4x (a ~130 MB live heap peaked at ~610 MB RSS under bundle ingest; ~300 MB with it). A pace,
  // not a cap. --max-semi-space-size=4: a young generation of 8 MB, not 32 (~20 MB less RSS under load).
  // --experimental-async-context-frame: oidc-provider's AsyncLocalStorage on V8's context frame, not on async
  // hooks, which otherwise run for every promise of every request once a token has been issued (Node 24's default)
  // BENCH_SERVER_BUILD=<dir>: the production build instead (`BUILD_OUT_DIR=<dir> npm run build`; node <dir>/server/
  // main.js as the Dockerfile runs it, no tsx), with bench/server-entry.ts's stop-with-the-bench inlined
  const build = process.env['BENCH_SERVER_BUILD']?.trim();
  const entry = build
    ? ['--import', `data:text/javascript,${encodeURIComponent(EXIT_WITH_PARENT)}`, join(build, 'server', 'main.js')]
    : ['--import', 'tsx', 'bench/server-entry.ts'];
  const nodeArgs: string[] = [...SERVER_NODE_FLAGS];
  if (options.cpuProfDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  // BENCH_SERVER_NODE_FLAGS: more node/V8 flags for the server alone (comparing memory settings, old vs new, on the
  // same bench), after the defaults so that they override them: e.g. "--max-semi-space-size=16" (V8's own default)
  const extra = process.env['BENCH_SERVER_NODE_FLAGS']?.trim();
  if (extra) nodeArgs.push(...extra.split(/\s+/));
  const child: ChildProcess = ownChild(
    spawn(process.execPath, [...nodeArgs, ...entry], {
      cwd: ROOT,
      env: {
        ...SERVER_ENV,
        ...process.env,
        ...db.env,
        PORT: String(port),
        MLLP_PORT: String(mllpPort),
        HOST: '127.0.0.1',
        NILECARE_AUTH: 'disabled',
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '0',
        NILECARE_BENCH_EXIT_WITH_PARENT: '1', // bench/server-entry.ts: stops when this process ends, however it ends
        ...auth?.env,
      },
      stdio: ['pipe', 'ignore', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  let ended: string | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      ended = `exit code ${code ?? '-'}, signal ${signal ?? '-'}${stderr.trim() ? `; stderr: ${stderr.trim().slice(-500)}` : ''}`;
      resolve(code);
    }),
  );
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, vmHwmMb(child.pid!));
    } catch {
      /* process gone */
    }
  };
  // 120 s by default; BENCH_START_TIMEOUT_S for a loaded machine (tsx compiles the server at start-up)
  const startSeconds = Number(process.env.BENCH_START_TIMEOUT_S ?? 120);
  const deadline = Date.now() + startSeconds * 1000;
  for (;;) {
    const state = await Promise.race([
      exited.then(() => 'exited' as const),
      new Promise<'wait'>((r) => setTimeout(() => r('wait'), 200)),
    ]);
    if (state === 'exited') throw new Error(`server exited during start-up (${ended})`);
    try {
      const res = await fetch(`${baseUrl}/readyz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after ${startSeconds} s: ${stderr.trim()}`);
    }
  }
  await auth?.connect(port);
  const sampler = setInterval(sample, 500);
  sampler.unref();
  return {
    baseUrl,
    mllpPort,
    pid: child.pid!,
    peakRssMb() {
      sample();
      return peak;
    },
    memoryMb() {
      sample();
      return { rssMb: vmRssMb(child.pid!), peakRssMb: peak };
    },
    exitInfo: () => ended,
    async stop() {
      sample();
      clearInterval(sampler);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
