/**
 * MLLP client: one connection, messages sent one at a time, each resolved with the peer's reply (the ACK).
 * Used by the CLI, the outbound sender and tests. Replies are matched in order (MLLP has no pipelining rule).
 */
import net from 'node:net';
import tls from 'node:tls';
import { frame, MllpDecoder } from './mllp-framer.js';
import { decodePayload } from './charset.js';

export interface MllpClientOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: tls.ConnectionOptions;
  readonly timeoutMs?: number;
}

export class MllpClient {
  private socket?: net.Socket;
  private decoder = new MllpDecoder();
  private waiting: { resolve: (s: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: MllpClientOptions) {}

  async connect(): Promise<void> {
    if (this.socket && !this.socket.destroyed) return;
    const { host, port } = this.options;
    this.decoder = new MllpDecoder();
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = this.options.tls
        ? tls.connect({ host, port, ...this.options.tls }, () => resolve(s))
        : net.connect({ host, port }, () => resolve(s));
      s.once('error', reject);
    });
    socket.on('data', (chunk: Buffer) => {
      for (const ev of this.decoder.push(chunk)) {
        if (ev.kind === 'frame') this.waiting.shift()?.resolve(decodePayload(ev.payload));
        else this.failAll(new Error(`bad reply from peer: ${ev.kind}`));
      }
    });
    socket.on('error', (err) => this.failAll(err));
    socket.on('close', () => this.failAll(new Error('connection closed by peer')));
    this.socket = socket;
  }

  /** Sends one message (text as UTF-8, or its bytes) and waits for the reply frame. Calls are serialised. */
  send(message: string | Buffer): Promise<string> {
    const run = this.queue.then(() => this.sendNow(message));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(message: string | Buffer): Promise<string> {
    await this.connect();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failAll(new Error(`no reply within ${this.options.timeoutMs ?? 30_000} ms`));
        this.socket?.destroy();
      }, this.options.timeoutMs ?? 30_000);
      this.waiting.push({
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
        timer,
      });
      this.socket!.write(frame(message));
    });
  }

  /** Writes raw bytes (tests of garbage handling). */
  writeRaw(bytes: Buffer): void {
    this.socket?.write(bytes);
  }

  private failAll(err: Error): void {
    const w = this.waiting;
    this.waiting = [];
    for (const x of w) x.reject(err);
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.end();
      setTimeout(() => s.destroy(), 1000).unref();
    });
  }
}

/** Connects, sends one message, returns the reply and closes. */
export async function sendOnce(options: MllpClientOptions, message: string): Promise<string> {
  const c = new MllpClient(options);
  try {
    return await c.send(message);
  } finally {
    await c.close();
  }
}
