/**
 * Outbound delivery over MLLP: messages are sent in order per key (the patient), each retried with backoff until
 * the peer answers AA/CA. AR/CR (the peer rejects the message itself) stops the retries of that message and is
 * reported; AE, timeouts and connection errors are retried (up to maxAttempts, default unlimited). Keys are
 * independent: one patient's stuck message does not hold back another's.
 */
import { MllpClient, type MllpClientOptions } from '../mllp/mllp-client.js';
import { parseMessage } from '../parser/parse-message.js';

export interface DeliveryResult {
  readonly ackCode: string;
  readonly attempts: number;
  readonly ack?: string;
  readonly error?: string;
}

export interface SenderOptions {
  readonly endpoint: MllpClientOptions;
  readonly maxAttempts?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly onAttempt?: (info: { key: string; attempt: number; error?: string; ackCode?: string }) => void;
}

export class MllpSender {
  private readonly chains = new Map<string, Promise<unknown>>();
  private client?: MllpClient;
  private closed = false;

  constructor(private readonly options: SenderOptions) {}

  /** Queues a message behind the earlier ones of the same key; resolves when the peer has answered it. */
  send(key: string, message: string): Promise<DeliveryResult> {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.deliver(key, message));
    const tail = run.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  private async deliver(key: string, message: string): Promise<DeliveryResult> {
    const max = this.options.maxAttempts ?? Number.POSITIVE_INFINITY;
    let backoff = this.options.initialBackoffMs ?? 500;
    let last: DeliveryResult = { ackCode: '', attempts: 0 };
    for (let attempt = 1; attempt <= max && !this.closed; attempt++) {
      try {
        // One connection per attempt keeps a half-dead socket from swallowing the retry.
        const client = (this.client = new MllpClient(this.options.endpoint));
        const ack = await client.send(message).finally(() => client.close());
        const code = parseMessage(ack).get('MSA-1');
        this.options.onAttempt?.({ key, attempt, ackCode: code });
        last = { ackCode: code, attempts: attempt, ack };
        if (code === 'AA' || code === 'CA' || code === 'AR' || code === 'CR') return last;
      } catch (err) {
        const error = String((err as Error)?.message ?? err);
        this.options.onAttempt?.({ key, attempt, error });
        last = { ackCode: '', attempts: attempt, error };
      }
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 60_000);
    }
    return last;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.close();
  }
}
