/**
 * Server health for the console: one check per component this server is configured to use, each with a short
 * timeout, run in parallel. Components that are not configured are left out (no MLLP row when MLLP_PORT=-1,
 * no Redis row without SMART auth or rate limiting, no PostgreSQL row on PGlite/MongoDB without projections).
 */
import net from 'node:net';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { HealthCheck } from '../admin-api.js';

export const CHECK_TIMEOUT_MS = 2000;

/** A component to check: its name in the console, what it is (no credentials), and the probe (resolves a detail). */
export interface HealthProbe {
  component: string;
  what: string;
  probe(): Promise<string>;
}

/** `host:port/database` of a connection URL, without credentials. */
export function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

export async function runHealthChecks(
  probes: readonly HealthProbe[],
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<HealthCheck[]> {
  return Promise.all(
    probes.map(async (p) => {
      try {
        const detail = await withTimeout(p.probe(), timeoutMs);
        return { component: p.component, ok: true, detail: `${p.what}: ${detail}` };
      } catch (e) {
        return { component: p.component, ok: false, detail: `${p.what}: ${(e as Error).message || String(e)}` };
      }
    }),
  );
}

export function mysqlProbe(url: string, what = where(url)): HealthProbe {
  return {
    component: 'MySQL',
    what,
    async probe() {
      const c = await mysql.createConnection({ uri: url, connectTimeout: CHECK_TIMEOUT_MS });
      try {
        const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
        return `up (${rows[0]?.['v']})`;
      } finally {
        c.destroy();
      }
    },
  };
}

export function postgresProbe(url: string, what = where(url)): HealthProbe {
  return {
    component: 'PostgreSQL',
    what,
    async probe() {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: CHECK_TIMEOUT_MS });
      await c.connect();
      try {
        const r = await c.query<{ v: string }>("SELECT current_setting('server_version') AS v");
        return `up (PostgreSQL ${r.rows[0]?.v})`;
      } finally {
        await c.end().catch(() => undefined);
      }
    },
  };
}

export function redisProbe(url: string, what: string): HealthProbe {
  return {
    component: 'Redis',
    what,
    async probe() {
      const r = new Redis(url, {
        lazyConnect: true,
        connectTimeout: CHECK_TIMEOUT_MS,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => null,
      });
      r.on('error', () => undefined);
      try {
        await r.connect();
        const info = await r.info('server');
        return `up (Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'})`;
      } finally {
        r.disconnect();
      }
    },
  };
}

/** Opens (and closes) a TCP connection to the listener: proves it accepts connections. */
export function tcpProbe(component: string, host: string, port: () => number | undefined, what: string): HealthProbe {
  return {
    component,
    what,
    probe: () =>
      new Promise<string>((resolve, reject) => {
        const p = port();
        if (p === undefined) {
          reject(new Error('not started'));
          return;
        }
        const socket = net.connect({ host, port: p });
        socket.once('connect', () => {
          socket.destroy();
          resolve(`accepting connections on ${host}:${p}`);
        });
        socket.once('error', (e) => reject(new Error(`${host}:${p} refused (${e.message})`)));
      }),
  };
}
