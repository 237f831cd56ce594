/**
 * The embedded PGlite in a worker thread (pglite-thread.ts is the other side). Runs what it is sent, in the order
 * sent: the sender's queue (pglite-client.ts) already makes one statement or transaction at a time. Messages:
 * query / exec (on the open transaction when `tx`), begin / end (commit or not) of a transaction, close.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Transaction } from '@electric-sql/pglite';
import { createPglite } from './pglite-create.js';

export type Request =
  | { id: number; op: 'query'; text: string; values: unknown[]; tx: boolean }
  | { id: number; op: 'exec'; sql: string; tx: boolean }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; commit: boolean }
  | { id: number; op: 'close' };
export type Reply =
  | { id: number; ok: true; result?: unknown }
  | { id: number; ok: false; error: Record<string, unknown> }
  | { id: 0; ready: string }
  | { id: 0; failed: Record<string, unknown> };

/** An error as plain data (message, name, and the driver's own fields: code, detail, …), to cross the thread. */
export function errorData(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const data: Record<string, unknown> = { message: error.message, name: error.name };
  for (const [key, value] of Object.entries(error))
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) data[key] = value;
  return data;
}

const port = parentPort!;
const { dataDir } = workerData as { dataDir?: string };

class Rollback extends Error {}

try {
  const { db, description } = await createPglite(dataDir);
  let tx: Transaction | undefined;
  let end: ((commit: boolean) => void) | undefined;
  let ended: Promise<unknown> | undefined;
  const target = (inTx: boolean) => {
    if (inTx && !tx) throw new Error('no open transaction');
    return inTx ? tx! : db;
  };
  const run = async (request: Request): Promise<unknown> => {
    switch (request.op) {
      case 'query': {
        const r = await target(request.tx).query(request.text, request.values);
        return { rows: r.rows, affectedRows: r.affectedRows };
      }
      case 'exec':
        await target(request.tx).exec(request.sql);
        return undefined;
      case 'begin': {
        let opened!: () => void;
        const open = new Promise<void>((resolve) => (opened = resolve));
        ended = db.transaction(async (t) => {
          tx = t;
          opened();
          const commit = await new Promise<boolean>((resolve) => (end = resolve));
          if (!commit) throw new Rollback();
        });
        // a failed BEGIN rejects `ended` before the callback runs
        await Promise.race([open, ended]);
        return undefined;
      }
      case 'end': {
        const settled = ended!;
        end!(request.commit);
        try {
          await settled;
        } catch (error) {
          if (!(error instanceof Rollback)) throw error;
        } finally {
          tx = undefined;
          end = undefined;
          ended = undefined;
        }
        return undefined;
      }
      case 'close':
        await db.close();
        return undefined;
    }
  };
  // one at a time, in arrival order (the sender already serialises; this keeps it so whatever it sends)
  let chain: Promise<unknown> = Promise.resolve();
  port.on('message', (request: Request) => {
    chain = chain.then(async () => {
      try {
        const result = await run(request);
        port.postMessage({ id: request.id, ok: true, result } satisfies Reply);
      } catch (error) {
        port.postMessage({ id: request.id, ok: false, error: errorData(error) } satisfies Reply);
      }
      if (request.op === 'close') port.close();
    });
  });
  port.postMessage({ id: 0, ready: description } satisfies Reply);
} catch (error) {
  port.postMessage({ id: 0, failed: errorData(error) } satisfies Reply);
}
