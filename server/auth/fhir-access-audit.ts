/**
 * One FHIR REST exchange (method + path segments + status + caller) → the AccessAuditEvent to record.
 * server/http's onResponse hook calls it for every request:
 *   onResponse: (e) => { const a = fhirAccessAudit({ ...e, ip: e.req.ip, userAgent: e.req.get('user-agent') }); if (a)
 * void auth.audit(a); }
 * 401s are not returned: SmartAuth.authenticate has audited them already (with the reason).
 */
import type { AccessPolicy, Interaction } from '../fhir/access-policy.js';
import type { AccessAuditEvent, AuditOutcome } from './audit-event.js';

export interface FhirExchange {
  readonly interaction: {
    method: string;
    segments: readonly string[];
    params?: ReadonlyArray<readonly [string, string]>;
    body?: unknown;
  };
  readonly status: number;
  readonly access?: AccessPolicy;
  readonly ip?: string;
  readonly userAgent?: string;
  /** The response's Location header (a create names the new resource there). */
  readonly location?: string;
}

interface Target {
  interaction: Interaction;
  resourceType?: string;
  id?: string;
  operation?: string;
}

const isType = (s: string | undefined) => !!s && /^[A-Z][A-Za-z]+$/.test(s);

export function classify(method: string, segments: readonly string[], body?: unknown): Target | undefined {
  const [a, b, c, d] = segments;
  const op = segments.find((s) => s.startsWith('$'));
  if (op) {
    return {
      interaction: 'operation',
      operation: op,
      ...(isType(a) ? { resourceType: a } : {}),
      ...(isType(a) && b && !b.startsWith('$') ? { id: b } : {}),
    };
  }
  if (segments.length === 0) {
    if (method === 'POST') {
      const type = (body as { type?: unknown } | undefined)?.type;
      return { interaction: 'operation', operation: typeof type === 'string' ? type : 'bundle' };
    }
    return method === 'GET' || method === 'HEAD' ? { interaction: 'search' } : undefined;
  }
  if (a === 'metadata') return undefined;
  if (a === '_history') return { interaction: 'history' };
  if (a === '_search' && method === 'POST') return { interaction: 'search' };
  if (!isType(a)) return undefined;
  if (b === undefined) {
    if (method === 'POST') return { interaction: 'create', resourceType: a };
    if (method === 'GET' || method === 'HEAD') return { interaction: 'search', resourceType: a };
    if (method === 'PUT') return { interaction: 'update', resourceType: a };
    if (method === 'PATCH') return { interaction: 'patch', resourceType: a };
    if (method === 'DELETE') return { interaction: 'delete', resourceType: a };
    return undefined;
  }
  if (b === '_history') return { interaction: 'history', resourceType: a };
  if (b === '_search') return { interaction: 'search', resourceType: a };
  if (c === '_history')
    return d === undefined
      ? { interaction: 'history', resourceType: a, id: b }
      : { interaction: 'vread', resourceType: a, id: b };
  if (c !== undefined) return { interaction: 'search', resourceType: c, operation: `${a}/${b}/${c}` }; // compartment search
  switch (method) {
    case 'GET':
    case 'HEAD':
      return { interaction: 'read', resourceType: a, id: b };
    case 'PUT':
      return { interaction: 'update', resourceType: a, id: b };
    case 'PATCH':
      return { interaction: 'patch', resourceType: a, id: b };
    case 'DELETE':
      return { interaction: 'delete', resourceType: a, id: b };
    default:
      return undefined;
  }
}

export function outcomeOf(status: number): AuditOutcome {
  if (status === 401 || status === 403) return 'denied';
  return status < 400 ? 'success' : 'failure';
}

export function fhirAccessAudit(e: FhirExchange): AccessAuditEvent | undefined {
  if (e.status === 401) return undefined;
  const t = classify(e.interaction.method.toUpperCase(), e.interaction.segments, e.interaction.body);
  if (!t) return undefined;
  if (t.resourceType && !t.id && e.location && (t.interaction === 'create' || t.interaction === 'update')) {
    const created = new RegExp(`/${t.resourceType}/([A-Za-z0-9\\-.]{1,64})(/_history/|$)`).exec(e.location);
    if (created) t.id = created[1];
  }
  const query =
    t.interaction === 'search' && e.interaction.params?.length
      ? new URLSearchParams(e.interaction.params.map(([k, v]): [string, string] => [k, v])).toString()
      : undefined;
  return {
    action: t.interaction,
    outcome: outcomeOf(e.status),
    ...(e.access ? { policy: e.access } : { who: 'anonymous' }),
    ...(t.resourceType ? { resourceType: t.resourceType } : {}),
    ...(t.id ? { resourceId: t.id } : {}),
    ...(t.operation ? { operation: t.operation } : {}),
    ...(query ? { query } : {}),
    status: e.status,
    ...(e.ip ? { ip: e.ip } : {}),
    ...(e.userAgent ? { userAgent: e.userAgent } : {}),
  };
}
