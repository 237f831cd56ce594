/**
 * The message log port: every message and its outcome (hl7_messages, hl7_message_logs), the replay queue
 * (message_queue) and the site's code-table overrides (fhir_mappings) in nilecare_interop. Implementations:
 * memory-message-log.ts (tests, single process) and mysql-message-log.ts.
 */
import type { AckCode } from '../ack/ack-builder.js';
import type { CodeOverride } from '../mapping/code-tables.js';

export const MESSAGE_STATUSES = [
  'received',
  'processing',
  'processed',
  'failed',
  'rejected',
  'duplicate',
  'queued',
  'sent',
  'acknowledged',
  'error',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const LOG_STAGES = ['receive', 'parse', 'validate', 'map', 'transaction', 'ack', 'send', 'retry'] as const;
export type LogStage = (typeof LOG_STAGES)[number];
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface MessageRecord {
  readonly direction: 'inbound' | 'outbound';
  readonly messageType: string;
  readonly triggerEvent?: string;
  readonly structure?: string;
  readonly controlId?: string;
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly receivingApplication?: string;
  readonly receivingFacility?: string;
  readonly version?: string;
  readonly processingId?: string;
  readonly patientIdentifier?: string;
  readonly raw: string;
  readonly remoteAddress?: string;
  /** The status the row starts with: received (the default), or processing when processing starts at once. */
  readonly status?: 'received' | 'processing';
}

export interface MessageOutcome {
  readonly status: MessageStatus;
  readonly ackCode?: AckCode;
  readonly ack?: string;
  readonly error?: string;
  /** References written by the transaction (e.g. "Patient/1/_history/2"). */
  readonly resources?: readonly string[];
}

export interface StoredMessage {
  readonly id: string;
  readonly status: MessageStatus;
  readonly ackCode?: AckCode;
  readonly ack?: string;
  readonly raw: string;
}

export interface QueueItem {
  readonly id: string;
  readonly messageId: string;
  readonly raw: string;
  readonly attempts: number;
}

/**
 * A write resolves once it is durable (the ACK depends on it). outcome and log writes are applied in the order they
 * were called even when the caller does not wait for one before calling the next: once one has resolved, every
 * outcome and log write called before it is durable too.
 */
export interface MessageLog {
  /** The message already stored for this sender and control id (duplicate detection), if any. */
  find(
    direction: 'inbound' | 'outbound',
    sendingApplication: string,
    sendingFacility: string,
    controlId: string,
  ): Promise<StoredMessage | undefined>;
  /** Stores a new message; resolves undefined when the same sender + control id is already stored (a race). */
  record(message: MessageRecord): Promise<string | undefined>;
  outcome(id: string, outcome: MessageOutcome): Promise<void>;
  log(id: string, level: LogLevel, stage: LogStage, message: string, details?: unknown): Promise<void>;
  /** Puts a failed message in the replay queue (once; a second call for the same message is a no-op). */
  enqueue(messageId: string, error: string): Promise<void>;
  /** Pending queue items whose next attempt is due, oldest first. */
  due(limit: number): Promise<QueueItem[]>;
  /** Records a replay: completed, or failed (attempts + 1; dead_letter when attempts reach max). */
  settle(queueId: string, result: 'completed' | 'failed', error?: string): Promise<void>;
  /** Active code-table overrides of the site (fhir_mappings rows with a code_map). */
  codeOverrides(): Promise<CodeOverride[]>;
}
