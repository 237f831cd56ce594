/**
 * What happened, by whom, from where, with what outcome → an R4 AuditEvent and an auth_audit_logs row.
 * Pure mapping (no I/O); audit-sink.ts writes them.
 */
import type { AuditEvent } from '@medplum/fhirtypes';
import type { AccessPolicy, Interaction } from '../fhir/access-policy.js';

/** Authentication-side actions audited besides the FHIR interactions. */
export type AuthAction =
  | 'login'
  | 'logout'
  | 'token'
  | 'authorize'
  | 'introspect'
  | 'revoke'
  | 'register-client'
  | 'update-client'
  | 'delete-client'
  | 'launch'
  | 'authenticate'
  | 'admin';

export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface AccessAuditEvent {
  readonly action: Interaction | AuthAction;
  readonly outcome: AuditOutcome;
  /** The caller's policy when known (it carries who / client / compartment). */
  readonly policy?: AccessPolicy;
  /** Who, when there is no policy (e.g. the login name of a failed login). */
  readonly who?: string;
  /** auth_users.id of the acting user, when known. */
  readonly userId?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  /** Operation name (`$export`, `$everything`) or the search query string. */
  readonly operation?: string;
  readonly query?: string;
  readonly status?: number;
  readonly ip?: string;
  readonly userAgent?: string;
  readonly detail?: string;
  readonly at?: Date;
}

const REST = {
  system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
  code: 'rest',
  display: 'RESTful Operation',
} as const;
const USER_AUTH = {
  system: 'http://dicom.nema.org/resources/ontology/DCM',
  code: '110114',
  display: 'User Authentication',
} as const;

function actionCode(action: AccessAuditEvent['action']): AuditEvent['action'] {
  switch (action) {
    case 'create':
      return 'C';
    case 'read':
    case 'vread':
    case 'search':
    case 'history':
    case 'introspect':
      return 'R';
    case 'update':
    case 'patch':
      return 'U';
    case 'delete':
    case 'revoke':
      return 'D';
    case 'operation':
    case 'login':
    case 'logout':
    case 'token':
    case 'authorize':
    case 'register-client':
    case 'update-client':
    case 'delete-client':
    case 'admin':
    case 'launch':
    case 'authenticate':
      return 'E';
  }
}

const isInteraction = (a: AccessAuditEvent['action']): a is Interaction =>
  ['read', 'vread', 'search', 'history', 'create', 'update', 'patch', 'delete', 'operation'].includes(a);

function outcomeCode(o: AuditOutcome): AuditEvent['outcome'] {
  switch (o) {
    case 'success':
      return '0';
    case 'denied':
      return '4';
    case 'failure':
      return '8';
  }
}

export function whoOf(e: AccessAuditEvent): string {
  return e.policy?.who ?? e.who ?? 'anonymous';
}

export function targetOf(e: AccessAuditEvent): string | undefined {
  if (!e.resourceType) return e.operation;
  const base = e.resourceId ? `${e.resourceType}/${e.resourceId}` : e.resourceType;
  return e.operation ? `${base}/${e.operation}` : base;
}

export function toAuditEvent(e: AccessAuditEvent, observer = 'NileCare FHIR'): AuditEvent {
  const who = whoOf(e);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed by tsc: typescript-eslint misjudges the contextual type here
  const p = e.policy as (AccessPolicy & { fhirUser?: string; clientId?: string }) | undefined;
  const reference =
    p?.fhirUser ??
    (/^(Patient|Practitioner|PractitionerRole|RelatedPerson|Device)\/[^/\s]+$/.test(who) ? who : undefined);
  const target = targetOf(e);
  return {
    resourceType: 'AuditEvent',
    type: isInteraction(e.action) ? REST : USER_AUTH,
    subtype: [
      isInteraction(e.action)
        ? { system: 'http://hl7.org/fhir/restful-interaction', code: e.action === 'search' ? 'search-type' : e.action }
        : { system: 'https://nilecare.sd/fhir/CodeSystem/auth-action', code: e.action },
    ],
    action: actionCode(e.action),
    recorded: (e.at ?? new Date()).toISOString(),
    outcome: outcomeCode(e.outcome),
    ...(e.detail || e.status
      ? { outcomeDesc: [e.status ? `HTTP ${e.status}` : '', e.detail ?? ''].filter(Boolean).join(': ') }
      : {}),
    agent: [
      {
        requestor: true,
        who: reference ? { reference, display: who } : { display: who },
        ...(p?.clientId ? { altId: p.clientId } : {}),
        ...(e.ip ? { network: { address: e.ip, type: '2' as const } } : {}),
      },
    ],
    source: {
      observer: { display: observer },
      type: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
          code: '4',
          display: 'Application Server',
        },
      ],
    },
    ...(target || e.query || p?.compartment
      ? {
          entity: [
            {
              ...(target ? { what: e.resourceId ? { reference: target } : { display: target } } : {}),
              ...(e.query ? { query: Buffer.from(e.query, 'utf8').toString('base64') } : {}),
              ...(p?.compartment ? { detail: [{ type: 'compartment', valueString: p.compartment }] } : {}),
            },
          ],
        }
      : {}),
  };
}

export interface AuditLogRow {
  readonly userId: string | null;
  readonly action: string;
  readonly resource: string | null;
  readonly result: 'success' | 'failure';
  readonly ipAddress: string | null;
  readonly metadata: Record<string, unknown>;
}

/** auth_audit_logs allows result success|failure only; a denial is a failure with metadata.outcome = denied. */
export function toAuditLogRow(e: AccessAuditEvent): AuditLogRow {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed by tsc: typescript-eslint misjudges the contextual type here
  const p = e.policy as (AccessPolicy & { clientId?: string; userId?: string }) | undefined;
  const metadata: Record<string, unknown> = { who: whoOf(e), outcome: e.outcome };
  if (p?.clientId) metadata.client_id = p.clientId;
  if (p?.compartment) metadata.compartment = p.compartment;
  if (e.status) metadata.status = e.status;
  if (e.detail) metadata.detail = e.detail;
  if (e.query) metadata.query = e.query.slice(0, 2000);
  if (e.userAgent) metadata.user_agent = e.userAgent.slice(0, 300);
  return {
    userId: e.userId ?? p?.userId ?? null,
    action: (isInteraction(e.action) ? `fhir.${e.action}` : `auth.${e.action}`).slice(0, 100),
    resource: targetOf(e)?.slice(0, 100) ?? null,
    result: e.outcome === 'success' ? 'success' : 'failure',
    ipAddress: e.ip?.slice(0, 45) ?? null,
    metadata,
  };
}
