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

export class StatementQueue {
  #busy = false;
  #deciding = false;
  #short: Waiter[] = [];
  #bulk: Waiter[] = [];
  #passedOver = 0;
  #lastWasShort = false;

  /** Runs `fn` alone (no other `run` of this queue at the same time), in the order described above. */
  run<T>(fn: () => Promise<T>, bulk = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.#busy = true;
        this.#lastWasShort = !bulk;
        let result: Promise<T>;
        try {
          result = fn();
        } catch (error) {
          result = Promise.reject(error);
        }
        // the queue moves on before the caller resumes: its next statement then queues behind what was chosen
        const finish = () => {
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
