/**
 * The embedded PGlite in a worker thread. PGlite runs each statement synchronously in the thread that owns it: on
 * the server's own thread, a bundle's write statement (0.9–2.3 s at load ~24), a CHECKPOINT or an ANALYZE (1.3–3 s)
 * held up everything else — parsing and answering every other request, not only their SQL (issue 20 item 4: a lone
 * GET took 3.8 s p50 while 4 bundles loaded, of which the statement queue accounted for ≤ 1.1 s at p95). In a worker,
 * the SQL runs beside the server's JavaScript (2 cores: in parallel), and the statement queue, the transactions and
 * the checkpointer stay on the server's side (pglite-client.ts), unchanged.
 * The rows cross the thread by structured clone (jsonb arrives as objects, as from PGlite itself); an error keeps its
 * message and the driver's fields (code, detail, …). The worker keeps the process alive only while a call is open.
 */
import { Worker } from 'node:worker_threads';
import type { PgliteDatabase, PgliteTarget } from './pglite-client.js';
import type { Reply, Request } from './pglite-worker.js';

type Call = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

function toError(data: Record<string, unknown>): Error {
  const error = new Error(String(data['message'] ?? 'PGlite worker error'));
  for (const [key, value] of Object.entries(data))
    if (key !== 'message') (error as never as Record<string, unknown>)[key] = value;
  return error;
}

/** Opens PGlite on `dataDir` (or in memory) in a worker; resolves with it and its description once it is open. */
export async function openPgliteThread(
  dataDir: string | undefined,
): Promise<{ db: PgliteDatabase; description: string }> {
  const source = import.meta.url.endsWith('.ts') ? './pglite-worker.ts' : './pglite-worker.js';
  const worker = new Worker(new URL(source, import.meta.url), { workerData: { dataDir } });
  const calls = new Map<number, Call>();
  let nextId = 1;
  let gone: Error | undefined;
  const description = await new Promise<string>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`PGlite worker ended (code ${code}) before it opened`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (reply: Reply) => {
      worker.off('exit', onExit);
      if ('ready' in reply) resolve(reply.ready);
      else if ('failed' in reply) reject(toError(reply.failed));
      else reject(new Error('PGlite worker: unexpected first message'));
    });
  }).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  worker.unref(); // idle: never what keeps the process alive (a call in flight refs it: call())
  const fail = (error: Error) => {
    gone ??= error;
    for (const call of calls.values()) call.reject(error);
    calls.clear();
  };
  worker.on('message', (reply: Reply) => {
    const call = calls.get(reply.id);
    if (!call) return;
    calls.delete(reply.id);
    if (calls.size === 0) worker.unref();
    if ('ok' in reply && reply.ok) call.resolve(reply.result);
    else if ('error' in reply) call.reject(toError(reply.error));
  });
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => fail(new Error(`PGlite worker ended (code ${code})`)));

  const call = <T>(body: RequestBody): Promise<T> => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (calls.size === 1) worker.ref();
      worker.postMessage({ id, ...body });
    });
  };
  const target = (tx: boolean): PgliteTarget => ({
    query: (text: string, values: unknown[] = []) =>
      call<{ rows: unknown[]; affectedRows?: number }>({ op: 'query', text, values, tx }),
    exec: (sql: string) => call({ op: 'exec', sql, tx }),
  });
  const db: PgliteDatabase = {
    ...target(false),
    async transaction<T>(fn: (tx: PgliteTarget) => Promise<T>): Promise<T> {
      await call({ op: 'begin' });
      let result: T;
      try {
        result = await fn(target(true));
      } catch (error) {
        await call({ op: 'end', commit: false }).catch(() => undefined);
        throw error;
      }
      await call({ op: 'end', commit: true });
      return result;
    },
    async close() {
      if (gone) return;
      await call({ op: 'close' });
      await worker.terminate();
    },
  };
  return { db, description: `${description}, in a worker thread` };
}
