/**
 * The outbound side of the message log (nilecare_interop): messages planned from FHIR changes (hl7_messages,
 * direction outbound, unique per endpoint + resource + version), their send attempts and outcomes
 * (hl7_message_logs), failed sends waiting for their next attempt or dead-lettered (message_queue), and the
 * worker's cursor in the FHIR change log (hl7_outbound_state). Implementation: mysql-outbound-log.ts.
 */

/** One message planned for one endpoint from one FHIR change. */
export interface OutboundRecord {
  readonly endpointId: string;
  /** `Encounter/e1` and its versionId: with endpointId and part, the idempotency key. */
  readonly sourceResource: string;
  readonly sourceVersion: number;
  /** The change's seq in the FHIR change log: messages of one ordering key are sent in (seq, part) order. */
  readonly sourceSeq: number;
  readonly sourcePart: number;
  /** `Patient/<id>`. */
  readonly orderingKey: string;
  readonly text: string;
}

/** The first unfinished message of an ordering key, due to be sent. */
export interface OutboundHead {
  readonly id: string;
  readonly orderingKey: string;
  readonly raw: string;
  readonly controlId: string;
  /** Attempts made so far (0 = never failed). */
  readonly attempts: number;
  readonly queueId?: string;
}

/** What the peer answered (ackCode AA/CA = delivered), or why there was no answer. */
export interface SendResult {
  readonly ackCode?: string;
  readonly ack?: string;
  readonly error?: string;
}

export interface RetryPolicy {
  /** Total attempts before the message is dead-lettered (interface_configs.max_retries + 1). */
  readonly maxAttempts: number;
  /** Delay before the next attempt, by the attempt that just failed (1, 2, …). */
  readonly backoffMs: (attempt: number) => number;
}

export interface EndpointCounts {
  readonly endpointId: string;
  /** Messages not yet acknowledged (never sent, in flight or waiting for a retry). */
  readonly pending: number;
  /** Of those, the ones that failed at least once and wait for their next attempt. */
  readonly retrying: number;
  /**
   * Dead letters: attempts exhausted; they hold back the later messages of their patient until retried or discarded.
   */
  readonly dead: number;
}

export const DELIVERED_ACK_CODES: ReadonlySet<string> = new Set(['AA', 'CA']);
