/**
 * A receiving HL7 system for tests: a real MLLP listener (adapters/hl7v2/mllp) that records every message it is
 * sent and answers with an ACK whose code a test can script per message (default AA). Can be stopped and started
 * again on the same port (a peer that goes down).
 */
import { startMllpServer, type MllpServer } from '../../mllp/mllp-server.js';
import { buildAck, type AckCode } from '../../ack/ack-builder.js';
import { parseMessage } from '../../parser/parse-message.js';
import type { Hl7Message } from '../../parser/hl7-message.js';

export type Received = {
  type: string;
  controlId: string;
  mrn: string;
  answered: string;
  message: Hl7Message;
  raw: string;
};

export class FakePeer {
  readonly received: Received[] = [];
  private server?: MllpServer;
  private port = 0;
  /** Decides the ACK code of a message (called once per delivery attempt). */
  answer: (m: Hl7Message) => AckCode = () => 'AA';

  async start(port = this.port): Promise<this> {
    this.server = await startMllpServer(
      async (text) => {
        const message = parseMessage(text);
        const code = this.answer(message);
        const { code: c, event } = message.messageType;
        this.received.push({
          type: `${c}^${event}`,
          controlId: message.controlId,
          mrn: message.get('PID-3'),
          answered: code,
          message,
          raw: text,
        });
        return buildAck(message, { code, ...(code === 'AA' ? {} : { text: `scripted ${code}` }) });
      },
      { port, host: '127.0.0.1' },
    );
    this.port = this.server.port;
    return this;
  }

  get listeningPort(): number {
    return this.port;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  /** The messages answered AA/CA, in arrival order. */
  accepted(mrn?: string): Received[] {
    return this.received.filter((r) => r.answered === 'AA' && (mrn === undefined || r.mrn === mrn));
  }
}
