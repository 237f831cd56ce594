/**
 * One MLLP connection to an outbound endpoint, kept open between messages (peers often accept a single
 * connection) and opened again after an error or timeout. A send on a reused connection that the peer had
 * already closed is repeated once on a fresh one (same message, same control id: a duplicate for the peer at
 * worst). Never throws: the outcome is the peer's ACK code and text, or the error.
 */
import { MllpClient } from '../mllp/mllp-client.js';
import { parseMessage } from '../parser/parse-message.js';
import type { SendResult } from '../log/outbound-log.js';
import type { OutboundEndpoint } from '../log/mysql-interface-configs.js';

export class EndpointLink {
  private client?: MllpClient;
  private used = false;
  private closed = false;

  constructor(private readonly endpoint: Pick<OutboundEndpoint, 'host' | 'port' | 'tls' | 'timeoutMs'>) {}

  get peer(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  async send(message: string | Buffer): Promise<SendResult> {
    if (this.closed) return { error: 'worker stopping' };
    const reused = this.used && !!this.client;
    const first = await this.attempt(message);
    const connectionLost = first.error !== undefined && first.ack === undefined && !/no reply within/.test(first.error);
    if (connectionLost && reused && !this.closed) return this.attempt(message);
    return first;
  }

  private async attempt(message: string | Buffer): Promise<SendResult> {
    const { host, port, tls, timeoutMs } = this.endpoint;
    const client = (this.client ??= new MllpClient({
      host,
      port,
      timeoutMs,
      ...(tls ? { tls: { servername: host } } : {}),
    }));
    try {
      const ack = await client.send(message);
      this.used = true;
      let ackCode = '';
      try {
        ackCode = parseMessage(ack).get('MSA-1');
      } catch {
        // not an HL7 message: reported below as a reply without MSA-1
      }
      return ackCode ? { ackCode, ack } : { ack, error: 'reply has no MSA-1' };
    } catch (err) {
      await this.reset();
      return { error: String((err as Error)?.message ?? err) };
    }
  }

  private async reset(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.used = false;
    await c?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reset();
  }
}
