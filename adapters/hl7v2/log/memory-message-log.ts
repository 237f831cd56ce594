/** In-process MessageLog (tests, single-node development). Same semantics as the MySQL one. */
import { randomUUID } from 'node:crypto';
import type { CodeOverride } from '../mapping/code-tables.js';
import type {
  LogLevel,
  LogStage,
  MessageLog,
  MessageOutcome,
  MessageRecord,
  QueueItem,
  StoredMessage,
} from './message-log.js';

interface Row extends StoredMessage {
  record: MessageRecord;
  error?: string;
  resources?: readonly string[];
}

export class MemoryMessageLog implements MessageLog {
  readonly messages = new Map<string, Row>();
  readonly logs: { messageId: string; level: LogLevel; stage: LogStage; message: string }[] = [];
  readonly queue = new Map<
    string,
    {
      id: string;
      messageId: string;
      status: 'pending' | 'completed' | 'failed' | 'dead_letter';
      attempts: number;
      maxAttempts: number;
      lastError?: string;
    }
  >();
  overrides: CodeOverride[] = [];

  private key(direction: string, app: string, fac: string, controlId: string): string {
    return [direction, app, fac, controlId].join('\u0000');
  }
  private readonly byKey = new Map<string, string>();

  async find(
    direction: 'inbound' | 'outbound',
    app: string,
    fac: string,
    controlId: string,
  ): Promise<StoredMessage | undefined> {
    const id = this.byKey.get(this.key(direction, app, fac, controlId));
    return id ? this.messages.get(id) : undefined;
  }

  async record(message: MessageRecord): Promise<string | undefined> {
    const k = message.controlId
      ? this.key(message.direction, message.sendingApplication, message.sendingFacility, message.controlId)
      : undefined;
    if (k && this.byKey.has(k)) return undefined;
    const id = randomUUID();
    this.messages.set(id, { id, status: message.status ?? 'received', raw: message.raw, record: message });
    if (k) this.byKey.set(k, id);
    return id;
  }

  async outcome(id: string, o: MessageOutcome): Promise<void> {
    const row = this.messages.get(id);
    if (!row) throw new Error(`no message ${id}`);
    this.messages.set(id, {
      ...row,
      status: o.status,
      ackCode: o.ackCode,
      ack: o.ack,
      error: o.error,
      resources: o.resources,
    });
  }

  async log(messageId: string, level: LogLevel, stage: LogStage, message: string): Promise<void> {
    this.logs.push({ messageId, level, stage, message });
  }

  async enqueue(messageId: string, error: string): Promise<void> {
    const open = [...this.queue.values()].find((q) => q.messageId === messageId && q.status === 'pending');
    if (open) {
      open.lastError = error;
      return;
    }
    const id = randomUUID();
    this.queue.set(id, { id, messageId, status: 'pending', attempts: 0, maxAttempts: 5, lastError: error });
  }

  async due(limit: number): Promise<QueueItem[]> {
    return [...this.queue.values()]
      .filter((q) => q.status === 'pending')
      .slice(0, limit)
      .map((q) => ({
        id: q.id,
        messageId: q.messageId,
        raw: this.messages.get(q.messageId)!.raw,
        attempts: q.attempts,
      }));
  }

  async settle(queueId: string, result: 'completed' | 'failed', error?: string): Promise<void> {
    const q = this.queue.get(queueId);
    if (!q) throw new Error(`no queue item ${queueId}`);
    q.attempts++;
    q.lastError = error;
    q.status = result === 'completed' ? 'completed' : q.attempts >= q.maxAttempts ? 'dead_letter' : 'pending';
  }

  async codeOverrides(): Promise<CodeOverride[]> {
    return this.overrides;
  }
}
