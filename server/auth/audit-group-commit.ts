/**
 * Group commit of audit records: items wait at most `windowMs` (or until `maxBatch` are queued), then one `write`
 * takes the whole batch (one INSERT of many rows, one commit). One write in flight at a time; what arrives meanwhile
 * forms the next batch, so under load the batches grow by themselves. `flush()` writes everything queued now and
 * waits (graceful shutdown). Each `add` resolves once its item is committed (or its failure was reported).
 *
 * Our own ~60 lines rather than a batching library: the few on npm (dataloader, p-batch) batch per tick for reads
 * and have no flush-and-wait for a shutdown.
 */
export type GroupCommit<T> = {
  add(item: T): Promise<void>;
  /** Writes everything queued so far and resolves once it is committed. */
  flush(): Promise<void>;
  /** Items queued and not yet committed. */
  readonly pending: number;
};

export function groupCommit<T>(o: {
  windowMs: number;
  maxBatch: number;
  write: (batch: T[]) => Promise<void>;
  onError: (message: string, error: unknown) => void;
}): GroupCommit<T> {
  let queue: Array<{ item: T; done: () => void }> = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let inFlight = 0;

  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, o.maxBatch);
      queue = queue.slice(batch.length);
      inFlight = batch.length;
      try {
        await o.write(batch.map((b) => b.item));
      } catch (error) {
        o.onError(`audit: ${batch.length} audit records not written`, error);
      } finally {
        inFlight = 0;
        for (const b of batch) b.done();
      }
    }
  };
  const start = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    running ??= drain().finally(() => {
      running = undefined;
      if (queue.length > 0) schedule();
    });
    return running;
  };
  const schedule = () => {
    if (running) return; // the running drain takes what arrives meanwhile
    if (queue.length >= o.maxBatch) void start();
    else timer ??= setTimeout(() => void start(), o.windowMs);
  };
  return {
    add(item) {
      return new Promise<void>((resolve) => {
        queue.push({ item, done: resolve });
        schedule();
      });
    },
    async flush() {
      while (queue.length > 0 || running) await (running ?? start());
    },
    get pending() {
      return queue.length + inFlight;
    },
  };
}
