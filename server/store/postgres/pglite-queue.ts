/**
 * The order in which PGlite's one connection serves statements. PGlite runs one statement at a time in this thread;
 * with a plain FIFO a lone request (a read, a single-resource write: a few short statements) waited behind every
 * bundle already queued — 3.5–7.4 s for one PUT while 4 bundle loads ran (issue 20).
 *
 * Two classes: `bulk` work (a statement whose text and parameters exceed BULK_BYTES, e.g. the one statement that
 * writes a whole transaction bundle, and maintenance such as CHECKPOINT) and short work (everything else: reads,
 * single-resource writes, transactions). Short work is served first; a bulk statement is served when no short
 * work waits, or after SHORT_BEFORE_BULK short grants in a row passed it over (so a steady stream of requests never
 * starves a load). A bulk statement still runs whole: a bundle's atomicity is its statement's (or transaction's), and
 * nothing is interleaved inside it.
 *
 * When a short statement ends and only bulk work waits, the choice is made on the next turn of the event loop
 * (setImmediate): the request that issued the short statement often sends its next one right away (read, then
 * write), and it should not then wait a whole bulk statement.
 */

/** Statements whose text and parameters together are larger than this are bulk. A single-resource write is ~1–10 kB. */
export const BULK_BYTES = 64 * 1024;

/** Short grants in a row that may pass over waiting bulk work before one bulk statement is served. */
export const SHORT_BEFORE_BULK = 16;

type Waiter = () => void;

/** Samples kept per kind of work for `timings()` (the most recent ones). */
const TIMING_SAMPLES = 4096;

/** Per kind of work: how long each waited in the queue and how long it ran (ms), the most recent samples. */
export type QueueTimings = Record<string, { count: number; waitMs: number[]; runMs: number[] }>;

/** p50 / p95 / max of a list of milliseconds (one decimal). */
function summary(ms: number[]): { p50: number; p95: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0) * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), max: Math.round((s.at(-1) ?? 0) * 10) / 10 };
}

export class StatementQueue {
  #busy = false;
  #deciding = false;
  #short: Waiter[] = [];
  #bulk: Waiter[] = [];
  #passedOver = 0;
  #lastWasShort = false;
  readonly #timings: QueueTimings = {};

  /**
   * Runs `fn` alone (no other `run` of this queue at the same time), in the order described above. `kind` names the
   * work in `timings()` (default: bulk or short).
   */
  run<T>(fn: () => Promise<T>, bulk = false, kind: string = bulk ? 'bulk' : 'short'): Promise<T> {
    const queuedAt = performance.now();
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.#busy = true;
        this.#lastWasShort = !bulk;
        const startedAt = performance.now();
        let result: Promise<T>;
        try {
          result = fn();
        } catch (error) {
          result = Promise.reject(error);
        }
        // the queue moves on before the caller resumes: its next statement then queues behind what was chosen
        const finish = () => {
          this.#record(kind, startedAt - queuedAt, performance.now() - startedAt);
          this.#busy = false;
          this.#next();
        };
        result.then(
          (value) => {
            finish();
            resolve(value);
          },
          (error: unknown) => {
            finish();
            reject(error);
          },
        );
      };
      (bulk ? this.#bulk : this.#short).push(start);
      if (!this.#busy && !this.#deciding) this.#next();
    });
  }

  /** Waiting statements (short, bulk): for tests and diagnostics. */
  get waiting(): { short: number; bulk: number } {
    return { short: this.#short.length, bulk: this.#bulk.length };
  }

  /**
   * How long the work of each kind waited for its turn and ran, p50 / p95 / max over the most recent samples: what a
   * lone request waits for while loads run (bench/pglite-lone-request.ts reads it through NILECARE_PGLITE_QUEUE_STATS).
   */
  timings(): Record<string, { count: number; waitMs: ReturnType<typeof summary>; runMs: ReturnType<typeof summary> }> {
    return Object.fromEntries(
      Object.entries(this.#timings).map(([kind, t]) => [
        kind,
        { count: t.count, waitMs: summary(t.waitMs), runMs: summary(t.runMs) },
      ]),
    );
  }

  #record(kind: string, waitMs: number, runMs: number): void {
    const t = (this.#timings[kind] ??= { count: 0, waitMs: [], runMs: [] });
    const at = t.count++ % TIMING_SAMPLES;
    t.waitMs[at] = waitMs;
    t.runMs[at] = runMs;
  }

  #next(): void {
    if (this.#busy) return;
    if (this.#short.length > 0 && (this.#bulk.length === 0 || this.#passedOver < SHORT_BEFORE_BULK)) {
      if (this.#bulk.length > 0) this.#passedOver++;
      this.#short.shift()!();
      return;
    }
    if (this.#bulk.length === 0) return;
    if (this.#lastWasShort && this.#short.length === 0 && !this.#deciding) {
      // give the short statement's caller one turn of the event loop to send its next statement
      this.#deciding = true;
      this.#lastWasShort = false;
      setImmediate(() => {
        this.#deciding = false;
        this.#next();
      });
      return;
    }
    if (this.#deciding) return;
    this.#passedOver = 0;
    this.#bulk.shift()!();
  }
}

/** The size a statement counts for (text + parameters, strings by length, buffers by bytes; nested arrays too). */
export function statementBytes(text: string, values: readonly unknown[] | undefined): number {
  let bytes = text.length;
  const add = (value: unknown, depth: number): void => {
    if (typeof value === 'string') bytes += value.length;
    else if (value instanceof Uint8Array) bytes += value.byteLength;
    else if (Array.isArray(value) && depth < 3) for (const v of value) add(v, depth + 1);
    else bytes += 8;
  };
  for (const v of values ?? []) {
    add(v, 0);
    if (bytes > BULK_BYTES) break;
  }
  return bytes;
}
