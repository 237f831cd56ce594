/**
 * What the console's administration needs from the parts that start after the HTTP app — the HL7 v2 listener and
 * its message log, outbound delivery, the projections — as ports the server defines. adapters/ implements them and
 * the composition root (server/hl7-wiring.ts, server/start-server.ts) hands them over with `attachRuntime`; nothing
 * under server/console imports adapters/.
 */
import type { FeedDeadLetter } from '../../change-feed/sql-dead-letters.js';
import type { Hl7Endpoint, Hl7EndpointSettings, NewHl7Endpoint } from '../admin-api.js';
import type { Hl7OutboundControl } from './hl7-outbound-admin.js';
import type { InteropQuery } from './hl7-message-rows.js';

/** One pending replay-queue item of an inbound message. */
export interface ReplayQueueItem {
  readonly id: string;
  readonly messageId: string;
  readonly raw: string;
  readonly attempts: number;
}

/** The inbound pipeline, replaying stored messages through the replay queue (adapters/hl7v2/inbound). */
export interface Hl7ReplayPort {
  /** Gives the message a pending replay-queue item (its existing one, or a new one). */
  enqueue(messageId: string, error: string): Promise<void>;
  /** Processes the item now and settles it (completed, or failed with back-off); the application ACK. */
  replay(item: ReplayQueueItem): Promise<{ code: string; ack: string | undefined }>;
}

/** An endpoint refused by the endpoint store: bad input (400) or a name already taken (409). */
export class Hl7EndpointRejected extends Error {
  constructor(
    readonly reason: 'invalid' | 'exists',
    message: string,
  ) {
    super(message);
  }
}

/** The outbound endpoints of nilecare_interop.interface_configs (the rules of `npm run hl7:endpoints`). */
export interface Hl7EndpointStore {
  list(): Promise<Hl7Endpoint[]>;
  /** Throws Hl7EndpointRejected for bad input or a taken name. */
  add(endpoint: NewHl7Endpoint): Promise<void>;
  /** false: no such endpoint. */
  setActive(name: string, active: boolean): Promise<boolean>;
  /** Character set / MSH-11 processing ids; throws Hl7EndpointRejected for bad input; false: no such interface. */
  setSettings(name: string, settings: Hl7EndpointSettings): Promise<boolean>;
  /** false: no such endpoint (the row stays, renamed, for the message history). */
  remove(name: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The running HL7 v2 part (server/hl7-wiring.ts Hl7Runtime satisfies it). */
export interface Hl7AdminRuntime {
  server: { port: number };
  replay: Hl7ReplayPort;
  outbound?: Hl7OutboundControl & { reloadEndpoints?(): Promise<void> };
  /** Reads of the embedded nilecare_interop (absent: it is on MySQL, INTEROP_MYSQL_URL). */
  interopQuery?: InteropQuery;
  /** The outbound endpoints, editable from the console (MySQL or the embedded nilecare_interop). */
  endpoints?: Hl7EndpointStore;
}

/** One projection's state as the outbox dispatcher reports it (adapters/outbox). */
export interface ProjectionRunStatus {
  projection: string;
  lagChanges: number;
  lagSeconds: number;
  lastError?: string;
  deadLetters: ReadonlyArray<Omit<FeedDeadLetter, 'consumer'>>;
  supersededDeadLetters: ReadonlyArray<Omit<FeedDeadLetter, 'consumer'>>;
}

/** The running projections (adapters/outbox start-projections.ts RunningProjections satisfies it). */
export interface ProjectionsPort {
  status(): Promise<ProjectionRunStatus[]>;
  /** Retries one dead letter now; true when it was delivered (the letter is gone). */
  retryDeadLetter(projection: string, resourceType: string, resourceId: string): Promise<boolean>;
}

/** Where the running projections write (for the health checks). */
export interface ProjectionTargetUrls {
  billingMysqlUrl?: string;
  labMysqlUrl?: string;
  medicationMysqlUrl?: string;
  devicesPostgresUrl?: string;
}
