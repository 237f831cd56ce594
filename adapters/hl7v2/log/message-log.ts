/**
 * The message log port: every message and its outcome (hl7_messages, hl7_message_logs), the replay queue
 * (message_queue) and the site's mapping rows (fhir_mappings) in nilecare_interop. Implementations:
 * testing/memory-message-log.ts (tests, single process) and mysql-message-log.ts.
 *
 * A message being processed is leased: `locked_by` (node:boot) holds it until `lease_until`. A row still
 * `processing` whose lease ran out, or whose holder is an earlier boot of this node (a crash), is stale: it is
 * claimed again and finished (recovery), so no message stays `processing` forever.
 */
import type { AckCode } from '../ack/ack-builder.js';
import type { MappingRow } from '../mapping/site-mappings.js';

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
  /** MSH-7 as an ISO instant (UTC). */
  readonly messageDatetime?: string;
  readonly patientIdentifier?: string;
  readonly raw: string;
  /** SHA-256 (hex) of the normalised message (see contentHash). */
  readonly hash: string;
  readonly remoteAddress?: string;
  /**
   * processing (leased to `owner` for leaseMs), or a row that is final at once: rejected (refused before it
   * was accepted: parse, MSH, message type) or duplicate (a resend with other content, `duplicateOf`). Rows
   * rejected or duplicate do not hold their control id.
   */
  readonly status: 'processing' | 'rejected' | 'duplicate';
  readonly owner?: string;
  readonly leaseMs?: number;
  readonly duplicateOf?: string;
  readonly ackCode?: AckCode;
  readonly ack?: string;
  readonly error?: string;
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
  readonly hash: string;
  /** processing and its lease is over, or held by an earlier boot of this node: it may be claimed. */
  readonly stale?: boolean;
}

export interface QueueItem {
  readonly id: string;
  readonly messageId: string;
  readonly raw: string;
  readonly attempts: number;
}

/** Who holds a lease: `<node>:<boot>`; a row held by `<node>:<other boot>` was left by a crash of this node. */
export interface LeaseOwner {
  readonly node: string;
  readonly boot: string;
}

export const ownerId = (o: LeaseOwner) => `${o.node}:${o.boot}`.slice(0, 100);

/**
 * A write resolves once it is durable (the ACK depends on it). outcome and log writes are applied in the order they
 * were called even when the caller does not wait for one before calling the next: once one has resolved, every
 * outcome and log write called before it is durable too.
 */
export interface MessageLog {
  /** The message that holds this sender and control id (duplicate detection), if any. */
  find(
    direction: 'inbound' | 'outbound',
    sendingApplication: string,
    sendingFacility: string,
    controlId: string,
    owner?: LeaseOwner,
  ): Promise<StoredMessage | undefined>;
  /** Stores a message; resolves undefined when a processing row and the same sender + control id is held (a race). */
  record(message: MessageRecord): Promise<string | undefined>;
  /**
   * Takes a message for processing: status processing, leased to `owner`. Succeeds when the row is not being
   * processed, or is stale (its lease is over, or an earlier boot of `owner.node` held it). False otherwise.
   */
  claim(id: string, owner: LeaseOwner, leaseMs: number): Promise<boolean>;
  /** Inbound rows left processing and stale (see claim), oldest first. */
  stale(owner: LeaseOwner, limit: number): Promise<{ id: string; raw: string }[]>;
  outcome(id: string, outcome: MessageOutcome): Promise<void>;
  log(id: string, level: LogLevel, stage: LogStage, message: string, details?: unknown): Promise<void>;
  /** Puts a failed message in the replay queue (once; a second call for the same message is a no-op). */
  enqueue(messageId: string, error: string): Promise<void>;
  /** Pending queue items whose next attempt is due, oldest first. */
  due(limit: number): Promise<QueueItem[]>;
  /**
   * Records a replay: completed; failed (attempts + 1, retried with back-off; dead_letter when attempts reach max);
   * permanent (a content error: status failed, no more automatic attempts).
   */
  settle(queueId: string, result: 'completed' | 'failed' | 'permanent', error?: string): Promise<void>;
  /** Active hl7_to_fhir rows of fhir_mappings (code tables, field rules, templates), with their scope. */
  mappingRows(): Promise<MappingRow[]>;
  /**
   * Deactivates a row whose content moved elsewhere (a code row moved into a ConceptMap), appending `note` to its
   * description — only while it is active with the content of `row.fingerprint` (an edit since it was read keeps
   * it active). True when it was deactivated.
   */
  retireMappingRow(row: MappingRow, note: string): Promise<boolean>;
  /** A number that changes whenever fhir_mappings changes (cheap to read; the mapping cache compares it). */
  mappingsVersion(): Promise<string>;
  /** Inbound settings of the interface whose sender is MSH-3/MSH-4 (character set, …), if configured. */
  inboundInterface(sendingApplication: string, sendingFacility: string): Promise<InboundInterface | undefined>;
}

/** An inbound interface_configs row as the pipeline uses it. */
export interface InboundInterface {
  readonly id: string;
  readonly name: string;
  /** Character set of messages that declare none in MSH-18 (interface_configs.character_encoding). */
  readonly characterEncoding?: string;
  readonly ackMode?: 'original' | 'enhanced' | 'none';
  /** MSH-11 values it takes (settings.processing_ids, e.g. ["P", "T"]); the server's when not configured. */
  readonly processingIds?: readonly string[];
}
