/**
 * The part of Redis the server uses (strings with expiry, hashes, lists, counters, MULTI), kept in the
 * nilecare_state.kv_entries table of the FHIR store's PostgreSQL/PGlite: what REDIS_URL holds in production, durable
 * and embedded when it is not set. It answers like ioredis (same method names, arguments and results, `multi()…exec()`
 * as one transaction), so the SMART adapter, the launch-context store and the rate limiter run on it unchanged.
 * An expired key is absent for every command (and is swept once a minute).
 */
import type { Redis } from 'ioredis';
import type { StateDb, StateExecutor } from './state-db.js';

type Value = string | number | Record<string, string> | string[];
/** `inMulti`: the command runs inside a MULTI's transaction (with the commands queued after it). */
type Op = (e: StateExecutor, inMulti: boolean) => Promise<unknown>;

const LIVE = '(expires_at IS NULL OR expires_at > now())';

async function read(e: StateExecutor, key: string): Promise<Value | undefined> {
  const { rows } = await e.query<{ value: Value }>(`SELECT value FROM kv_entries WHERE key = ? AND ${LIVE}`, [key]);
  return rows[0]?.value;
}

/** Replaces the value; `ttl` seconds, or keep the current expiry of a live key when `keepTtl`. */
async function write(e: StateExecutor, key: string, value: Value, ttl?: number, keepTtl = false): Promise<void> {
  const expires = ttl === undefined ? null : new Date(Date.now() + ttl * 1000).toISOString();
  await e.query(
    `INSERT INTO kv_entries (key, value, expires_at) VALUES (?, ?::jsonb, ?::timestamptz)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
       expires_at = CASE WHEN ? AND ${LIVE.replace(/expires_at/g, 'kv_entries.expires_at')} THEN kv_entries.expires_at ELSE EXCLUDED.expires_at END`,
    [key, JSON.stringify(value), expires, keepTtl],
  );
}

/** Commands; each takes an executor so that MULTI runs them in one transaction. */
const commands = {
  get:
    (key: string): Op =>
    async (e) => {
      const v = await read(e, key);
      return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
    },
  set:
    (key: string, value: string | number, mode?: string, seconds?: number): Op =>
    async (e) => {
      await write(e, key, String(value), mode?.toUpperCase() === 'EX' ? Number(seconds) : undefined);
      return 'OK';
    },
  exists:
    (key: string): Op =>
    async (e, inMulti) => {
      // In a MULTI, FOR UPDATE: what the later commands of the transaction do to this key cannot be undone by
      // another client deleting it in between (the SMART adapter's consume: EXISTS then HSETNX). On its own (the
      // revocation check of every authorised request) a plain read: no row lock, no waiting behind a writer.
      const { rows } = await e.query(
        `SELECT 1 FROM kv_entries WHERE key = ? AND ${LIVE}${inMulti ? ' FOR UPDATE' : ''}`,
        [key],
      );
      return rows.length;
    },
  del:
    (...keys: string[]): Op =>
    async (e) => {
      let deleted = 0;
      for (const key of keys)
        deleted += (await e.query(`DELETE FROM kv_entries WHERE key = ? AND ${LIVE}`, [key])).affectedRows;
      return deleted;
    },
  expire:
    (key: string, seconds: number): Op =>
    async (e) =>
      (
        await e.query(`UPDATE kv_entries SET expires_at = now() + make_interval(secs => ?) WHERE key = ? AND ${LIVE}`, [
          seconds,
          key,
        ])
      ).affectedRows,
  ttl:
    (key: string): Op =>
    async (e) => {
      const { rows } = await e.query<{ ttl: number | null }>(
        `SELECT CASE WHEN expires_at IS NULL THEN -1 ELSE ceil(extract(epoch FROM expires_at - now()))::int END AS ttl
       FROM kv_entries WHERE key = ? AND ${LIVE}`,
        [key],
      );
      return rows[0] ? Number(rows[0].ttl) : -2;
    },
  hset:
    (key: string, fields: Record<string, string | number>): Op =>
    async (e) => {
      const current = await read(e, key);
      const hash = current && typeof current === 'object' && !Array.isArray(current) ? { ...current } : {};
      let added = 0;
      for (const [f, v] of Object.entries(fields)) {
        if (!(f in hash)) added++;
        hash[f] = String(v);
      }
      await write(e, key, hash, undefined, true);
      return added;
    },
  /** Atomic on its own: one statement that sets the field only where it is absent. */
  hsetnx:
    (key: string, field: string, value: string | number): Op =>
    async (e) => {
      const { rows } = await e.query(
        `INSERT INTO kv_entries (key, value) VALUES (?, jsonb_build_object(?::text, ?::text))
       ON CONFLICT (key) DO UPDATE SET
         value = CASE WHEN ${LIVE.replace(/expires_at/g, 'kv_entries.expires_at')} THEN kv_entries.value || EXCLUDED.value ELSE EXCLUDED.value END,
         expires_at = CASE WHEN ${LIVE.replace(/expires_at/g, 'kv_entries.expires_at')} THEN kv_entries.expires_at ELSE NULL END
       WHERE NOT (${LIVE.replace(/expires_at/g, 'kv_entries.expires_at')}) OR NOT jsonb_exists(kv_entries.value, ?::text)
       RETURNING 1 AS won`,
        [key, field, String(value), field],
      );
      return rows.length;
    },
  hget:
    (key: string, field: string): Op =>
    async (e) => {
      const v = await read(e, key);
      return v && typeof v === 'object' && !Array.isArray(v) ? (v[field] ?? null) : null;
    },
  hgetall:
    (key: string): Op =>
    async (e) => {
      const v = await read(e, key);
      return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
    },
  rpush:
    (key: string, ...values: string[]): Op =>
    async (e) => {
      const current = await read(e, key);
      const list = [...(Array.isArray(current) ? current : []), ...values.map(String)];
      await write(e, key, list, undefined, true);
      return list.length;
    },
  lrange:
    (key: string, start: number, stop: number): Op =>
    async (e) => {
      const v = await read(e, key);
      const list = Array.isArray(v) ? v : [];
      return list.slice(start, stop < 0 ? list.length + stop + 1 : stop + 1);
    },
  incr:
    (key: string): Op =>
    async (e) => {
      const { rows } = await e.query<{ n: number }>(
        `INSERT INTO kv_entries (key, value) VALUES (?, '1'::jsonb)
       ON CONFLICT (key) DO UPDATE SET
         value = CASE WHEN ${LIVE.replace(/expires_at/g, 'kv_entries.expires_at')} THEN to_jsonb((kv_entries.value #>> '{}')::bigint + 1) ELSE '1'::jsonb END,
         expires_at = CASE WHEN ${LIVE.replace(/expires_at/g, 'kv_entries.expires_at')} THEN kv_entries.expires_at ELSE NULL END
       RETURNING (value #>> '{}')::bigint AS n`,
        [key],
      );
      return Number(rows[0]?.n);
    },
  /**
   * `SCAN cursor MATCH pattern [COUNT n]`, answered in one page (cursor "0"): the keys of a `prefix*` pattern (the
   * only form the server uses: the console lists the registered clients).
   */
  scan:
    (_cursor: string, _match: 'MATCH', pattern: string): Op =>
    async (e) => {
      if (!/^[^*?[\]]*\*$/.test(pattern)) throw new Error(`embedded SCAN takes a prefix* pattern (got ${pattern})`);
      const prefix = pattern.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
      const { rows } = await e.query<{ key: string }>(
        `SELECT key FROM kv_entries WHERE key LIKE ? AND ${LIVE} ORDER BY key`,
        [`${prefix}%`],
      );
      return ['0', rows.map((r) => r.key)];
    },
};

type Commands = typeof commands;
type Multi = { [K in keyof Commands]: (...args: Parameters<Commands[K]>) => Multi } & {
  exec(): Promise<Array<[Error | null, unknown]>>;
};

export type SqlKv = { [K in keyof Commands]: (...args: Parameters<Commands[K]>) => Promise<unknown> } & {
  multi(): Multi;
  disconnect(): void;
  quit(): Promise<'OK'>;
  on(event: string, listener: (...args: unknown[]) => void): SqlKv;
  /** Deletes expired keys now (also done once a minute while open). */
  sweep(): Promise<number>;
};

export function sqlKv(db: StateDb): SqlKv {
  const sweep = async () =>
    (await db.query('DELETE FROM kv_entries WHERE expires_at IS NOT NULL AND expires_at <= now()')).affectedRows;
  const timer = setInterval(() => void sweep().catch(() => undefined), 60_000);
  timer.unref();
  const kv = {} as SqlKv;
  for (const name of Object.keys(commands) as Array<keyof Commands>) {
    (kv as Record<string, unknown>)[name] = (...args: unknown[]) =>
      (commands[name] as (...a: unknown[]) => Op)(...args)(db, false);
  }
  kv.multi = () => {
    const ops: Op[] = [];
    const multi = {} as Multi;
    for (const name of Object.keys(commands) as Array<keyof Commands>) {
      (multi as Record<string, unknown>)[name] = (...args: unknown[]) => {
        ops.push((commands[name] as (...a: unknown[]) => Op)(...args));
        return multi;
      };
    }
    multi.exec = () =>
      db.transaction(async (tx) => {
        const results: Array<[Error | null, unknown]> = [];
        for (const op of ops) results.push([null, await op(tx, true)]);
        return results;
      });
    return multi;
  };
  kv.disconnect = () => clearInterval(timer);
  kv.quit = async () => {
    clearInterval(timer);
    return 'OK';
  };
  kv.on = () => kv;
  kv.sweep = sweep;
  return kv;
}

/** The embedded store where ioredis is expected (the adapter, context store and rate limiter use only these commands). */
export const asRedis = (kv: SqlKv): Redis => kv as unknown as Redis;
