/**
 * Timed checkpoints for the embedded store. PGlite runs in single-user mode: there is no checkpointer
 * process, so PostgreSQL checkpoints only at close, and a restart after a crash (kill -9, power loss)
 * replays all WAL written since the store was opened (28–58 s measured after bulk loads).
 *
 * Every `everyMs` the checkpointer asks how much WAL was written since its last checkpoint and runs
 * `CHECKPOINT` when that is at least `minBytes`, or any amount once `maxAgeMs` has passed. Both the
 * question and the checkpoint go through the client's queue like any statement, so a request waits at
 * most for one checkpoint, whose work is bounded by the WAL written since the previous one.
 */
import type { SqlClient } from './sql-client.js';

export type CheckpointPolicy = { everyMs: number; minBytes: number; maxAgeMs: number };

export const defaultCheckpointPolicy: CheckpointPolicy = {
  everyMs: 5_000,
  minBytes: 32 * 1024 * 1024,
  maxAgeMs: 30_000,
};

/**
 * NILECARE_PGLITE_CHECKPOINT: `off` checkpoints only at close (PGlite's behaviour); a number of seconds sets the
 * longest wait between checkpoints while WAL is written (default 30).
 */
export function checkpointPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): CheckpointPolicy | undefined {
  const value = (env['NILECARE_PGLITE_CHECKPOINT'] ?? '').trim().toLowerCase();
  if (value === 'off') return undefined;
  const seconds = Number(value);
  if (!value || !(seconds > 0)) return defaultCheckpointPolicy;
  const maxAgeMs = seconds * 1000;
  return { ...defaultCheckpointPolicy, maxAgeMs, everyMs: Math.min(defaultCheckpointPolicy.everyMs, maxAgeMs) };
}

export type Checkpointer = {
  /** Called after each statement or transaction: runs the check when it is due. */
  nudge(): void;
  stop(): Promise<void>;
  readonly checkpoints: number;
};

export function startCheckpointer(client: SqlClient, policy: CheckpointPolicy): Checkpointer {
  let lastLsn: string | undefined;
  let lastAt = Date.now();
  let count = 0;
  let stopped = false;

  const walSince = async (lsn: string) => {
    const { rows } = await client.query<{ lsn: string; bytes: string }>({
      text: 'SELECT pg_current_wal_lsn()::text AS lsn, (pg_current_wal_lsn() - $1::pg_lsn)::text AS bytes',
      values: [lsn],
    });
    return { lsn: rows[0]!.lsn, bytes: Number(rows[0]!.bytes) };
  };
  const tick = async () => {
    if (lastLsn === undefined) {
      lastLsn = (await walSince('0/0')).lsn; // just opened (recovery ends with a checkpoint): count from here
      return;
    }
    const { bytes } = await walSince(lastLsn);
    if (bytes <= 0) return;
    if (bytes < policy.minBytes && Date.now() - lastAt < policy.maxAgeMs) return;
    await client.exec('CHECKPOINT');
    count += 1;
    lastAt = Date.now();
    lastLsn = (await walSince('0/0')).lsn; // after the checkpoint's own record: an idle store stays idle
  };

  let running: Promise<void> = tick().catch(() => undefined);
  let lastTick = Date.now();
  const due = () => {
    if (stopped || Date.now() - lastTick < policy.everyMs) return;
    lastTick = Date.now();
    running = running.then(tick).catch(() => undefined); // a failed checkpoint is retried on the next tick
  };
  // the timer covers a store that goes idle; nudge() covers statements back to back, which can starve timers
  // (a PGlite statement can resolve without the event loop reaching its timers)
  const timer = setInterval(due, policy.everyMs);
  timer.unref();

  return {
    nudge: due,
    get checkpoints() {
      return count;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
