/**
 * The small admin API behind the operations console (/console/api/*), implemented by admin/server-admin-api.ts
 * from the HL7 (nilecare_interop: hl7_messages, hl7_message_logs, message_queue) and adapters (projections,
 * outbox) code; the console only ever sees these shapes, as JSON. Times are ISO 8601 strings in UTC.
 */

/** hl7_messages.status. */
export const HL7_MESSAGE_STATUSES = [
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
export type Hl7MessageStatus = (typeof HL7_MESSAGE_STATUSES)[number];

/** One row of the message log list: an hl7_messages row without its bodies. */
export interface Hl7MessageSummary {
  /** hl7_messages.id (UUID). */
  id: string;
  direction: 'inbound' | 'outbound';
  /** `ADT^A01` (MSH-9.1 ^ MSH-9.2), or just `ADT` when there is no trigger event. */
  type: string;
  /** MSH-10. */
  controlId: string | null;
  /** `MSH-3|MSH-4`, e.g. `LAB|NILE_HOSP` (what the `sender` filter matches, as a prefix). */
  sender: string;
  status: Hl7MessageStatus;
  /** MSA-1 of the ACK we sent (inbound) or received (outbound): AA, AE, AR, CA, CE, CR. */
  ackCode: string | null;
  /** PID-3 first identifier. */
  patientIdentifier: string | null;
  receivedAt: string;
  processedAt: string | null;
  /** error_message, first line (full text in the detail). */
  error: string | null;
}

/** One hl7_message_logs row. */
export interface Hl7MessageLogEntry {
  at: string;
  level: 'debug' | 'info' | 'warning' | 'error';
  stage: 'receive' | 'parse' | 'validate' | 'map' | 'transaction' | 'ack' | 'send' | 'retry';
  message: string;
}

/** Everything about one message: the console splits `raw` into segments and names the fields itself. */
export interface Hl7MessageDetail extends Hl7MessageSummary {
  /** raw_message, segments separated by \r (as received). */
  raw: string;
  /** ack_message: the ACK text (segments separated by \r), when there is one. */
  ack: string | null;
  /** error_message in full. */
  errorDetail: string | null;
  /** fhir_resources: versioned references written by the FHIR transaction. */
  fhirResources: string[];
  /** hl7_message_logs rows, oldest first. */
  logs: Hl7MessageLogEntry[];
  /** message_queue rows for this message (retries of outbound sends, replay requests). */
  queue: Array<{
    id: string;
    status: 'pending' | 'processing' | 'completed' | 'failed' | 'dead_letter';
    attempts: number;
    maxAttempts: number;
    nextAttemptAt: string;
    lastError: string | null;
  }>;
}

export interface Hl7MessageFilter {
  /** `ADT` or `ADT^A01`. */
  type?: string;
  /** Prefix of `MSH-3|MSH-4`. */
  sender?: string;
  status?: string;
  /** 1..500. */
  limit: number;
  /** Keyset paging: only messages received before this ISO time (the last row's receivedAt)… */
  before?: string;
  /**
   * …or at that time with a smaller id (the last row's id), so rows received in the same millisecond are not skipped.
   */
  beforeId?: string;
}

/** One FHIR Subscription as the console lists it (channel headers left out: they may carry credentials). */
export interface SubscriptionStatus {
  id: string;
  criteria: string;
  channel: string;
  /** rest-hook endpoint; absent for websocket. */
  endpoint?: string;
  /** requested | active | error | off. */
  status: string;
  eventsQueued: number;
  deliveredThrough: number;
  lastDeliveryAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface ProjectionStatus {
  name: string;
  /** Outbox sequence numbers not yet applied. */
  lagSeq: number;
  /** Age of the oldest unapplied outbox record (0 when caught up). */
  lagSeconds: number;
  deadLetters: number;
  /** Dead letters a newer version of their resource superseded (listed with the dead letters, nothing to retry). */
  supersededDeadLetters?: number;
  /** The dispatcher's last batch failure (connection-level), while it backs off. */
  lastError?: string;
}

export interface DeadLetter {
  /** `ResourceType/id`: one dead letter per blocked resource. */
  id: string;
  /** `Patient/123`. */
  resource: string;
  /** The version that failed. */
  version: number;
  error: string;
  attempts: number;
  lastAttempt: string;
  /** The next automatic retry; null when only a manual retry remains. */
  nextAttemptAt?: string | null;
  /** hl7_messages id, for a dead letter of HL7 outbound delivery. */
  hl7Message?: string;
  /** `superseded`: a newer version of the resource was delivered after this one failed (no retry needed). */
  state?: 'failed' | 'superseded';
  /** The version that superseded it, and when. */
  supersededBy?: number;
  supersededAt?: string;
}

export interface ReplayResult {
  /** The message's status after the replay (hl7_messages.status). */
  status: string;
  /** MSA-1 of the ACK the replay produced. */
  ackCode?: string;
  ack?: string;
  error?: string;
}

export interface HealthCheck {
  /** `store`, `MySQL`, `PostgreSQL`, `Redis`, `MLLP listener`. */
  component: string;
  ok: boolean;
  detail: string;
}

/** A user of nilecare_auth as the console's Admin page lists it (no password hash, no TOTP secret). */
export interface AdminUser {
  id: string;
  username: string;
  email: string;
  /** first and last name, when known. */
  name?: string;
  role: string;
  /** auth_users.status: active, inactive, locked, … */
  status: string;
  /** Locked after too many failed sign-ins (until `unlock` or the lock expires). */
  locked: boolean;
  /** TOTP second factor on. */
  mfa: boolean;
  /** `Practitioner/123`: the FHIR resource the user is. */
  fhirUser?: string;
}

export interface NewUser {
  username: string;
  email: string;
  role: string;
  firstName?: string;
  lastName?: string;
  fhirUser?: string;
  /** At least 12 characters; absent: one is generated and returned once. */
  password?: string;
  /** Turn TOTP on: the secret is returned once. */
  mfa?: boolean;
}

/** One change of a user; several fields may be given together. */
export interface UserChange {
  role?: string;
  active?: boolean;
  unlock?: boolean;
  /** `new`: a new TOTP secret (returned once); `off`: no second factor. */
  totp?: 'new' | 'off';
  /** A new password (≥ 12 characters), or `generate` (returned once). */
  password?: string;
  /** Revoke all of the user's refresh tokens (their apps must sign in again). */
  revokeTokens?: boolean;
}

/** Shown once, after the change that made them. */
export interface UserSecrets {
  password?: string;
  totpSecret?: string;
  otpauth?: string;
}

/** What a change of a user answers: the user as now, the secrets it made, the refresh tokens it revoked. */
export type ChangedUser = AdminUser & UserSecrets & { revokedTokens?: number };

/** A registered client application (no secrets). */
export interface AdminClient {
  clientId: string;
  name: string;
  kind: 'app (public, PKCE)' | 'app (confidential)' | 'backend service' | 'console';
  authMethod: string;
  /** The most it may be granted. */
  scope: string;
  redirectUris: string[];
}

/** An outbound HL7 v2 endpoint (interface_configs). */
export interface Hl7Endpoint {
  name: string;
  host: string;
  port: number;
  tls: boolean;
  active: boolean;
  messageTypes?: string[];
  receivingApplication?: string;
  receivingFacility?: string;
  /** The outbound character set when not the default UTF-8. */
  characterEncoding?: string;
}

export interface NewHl7Endpoint {
  name: string;
  host: string;
  port: number;
  tls?: boolean;
  messageTypes?: string[];
  receivingApplication?: string;
  receivingFacility?: string;
  /** The outbound character set (default UTF-8; checked: one that cannot be sent over MLLP is a 400). */
  characterEncoding?: string;
}

/**
 * A change of an interface's settings: the outbound character set (outbound endpoints) and/or the MSH-11 values an
 * inbound interface takes (P, T, D; a list or "P,T").
 */
export interface Hl7EndpointSettings {
  characterEncoding?: string;
  processingIds?: string[] | string;
}

/**
 * The administrator's tasks: users, client applications, outbound HL7 endpoints. Every change applies to the running
 * server at once. Mistakes are FhirErrors: 400 bad input, 404 unknown, 409 taken; 503 when the part is not running.
 */
export interface AdminTasks {
  users(): Promise<AdminUser[]>;
  addUser(user: NewUser): Promise<AdminUser & UserSecrets>;
  changeUser(id: string, change: UserChange): Promise<ChangedUser>;
  clients(): Promise<AdminClient[]>;
  /** RFC 7591 registration JSON; the answer shows client_secret and registration_access_token once. */
  registerClient(registration: Record<string, unknown>): Promise<Record<string, unknown>>;
  revokeClient(clientId: string): Promise<void>;
  hl7Endpoints(): Promise<Hl7Endpoint[]>;
  addHl7Endpoint(endpoint: NewHl7Endpoint): Promise<Hl7Endpoint>;
  setHl7EndpointActive(name: string, active: boolean): Promise<Hl7Endpoint>;
  /** Sets the character set and/or processing ids of an interface by name; 400 bad value, 404 no such interface. */
  setHl7EndpointSettings(name: string, settings: Hl7EndpointSettings): Promise<{ name: string } & Hl7EndpointSettings>;
  /** Deletes an endpoint (its row stays, renamed, for the message history); 404 when there is none. */
  removeHl7Endpoint(name: string): Promise<void>;
  /** An EHR launch id for a patient (and encounter), valid 10 minutes. */
  createLaunch(context: { patient: string; encounter?: string }): Promise<{ launch: string }>;
}

export interface AdminApi extends AdminTasks {
  health(): Promise<HealthCheck[]>;
  hl7Messages(filter: Hl7MessageFilter): Promise<Hl7MessageSummary[]>;
  /** undefined when there is no such message. */
  hl7Message(id: string): Promise<Hl7MessageDetail | undefined>;
  /** Reprocesses a stored inbound message; throws FhirError 404 when it does not exist. */
  replayHl7Message(id: string): Promise<ReplayResult>;
  projections(): Promise<ProjectionStatus[]>;
  /** FHIR Subscriptions with their delivery state (empty when NILECARE_SUBSCRIPTIONS=off). */
  subscriptions(): Promise<SubscriptionStatus[]>;
  /** Throws FhirError 404 for an unknown projection. */
  deadLetters(projection: string): Promise<DeadLetter[]>;
  /** Throws FhirError 404 for an unknown projection or dead letter; delivered false when it failed again. */
  retryDeadLetter(projection: string, id: string): Promise<{ delivered: boolean; requeued?: boolean }>;
}
