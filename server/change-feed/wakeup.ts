/** A sleep that ends early when woken (new work) or aborted (shutdown). */
export class Wakeup {
  private pending?: () => void;
  private woken = false;

  /** Resolves after `ms`, on wake() (also one that came before the sleep), or when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.woken || signal.aborted) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.pending = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
      this.pending = done;
    });
  }

  wake(): void {
    if (this.pending) this.pending();
    else this.woken = true;
  }
}
