/**
 * SMART on FHIR scopes, v1 (`patient/Observation.read`, `user/*.*`) and v2 (`patient/Observation.rs`,
 * `user/*.cruds`, `patient/Observation.rs?category=laboratory`), parsed into one shape.
 * Pure code: no I/O, no express, no oidc-provider.
 */
import type { ScopeAction } from '../fhir/access-policy.js';

export const SCOPE_CONTEXTS = ['patient', 'user', 'system'] as const;
export type ScopeContext = (typeof SCOPE_CONTEXTS)[number];

/** Scopes that are not about resources (OpenID Connect, launch context, refresh tokens). */
export const NON_RESOURCE_SCOPES = [
  'openid',
  'fhirUser',
  'profile',
  'offline_access',
  'online_access',
  'launch',
  'launch/patient',
  'launch/encounter',
] as const;
export type NonResourceScope = (typeof NON_RESOURCE_SCOPES)[number];

/**
 * NileCare's own scopes. Granted for the FHIR server like resource scopes (so they are in the access token), only
 * to clients registered with them:
 * - `nilecare-admin`: the console admin API and client registration, and only together with the user's admin role
 *   (the console client is registered with it; a third-party app never is, whoever signs in to it);
 * - `nilecare-metrics`: GET /metrics (a backend service such as a Prometheus scraper, or an administrator).
 */
export const SERVER_SCOPES = ['nilecare-admin', 'nilecare-metrics'] as const;
export type ServerScope = (typeof SERVER_SCOPES)[number];
export const ADMIN_SCOPE: ServerScope = 'nilecare-admin';
export const METRICS_SCOPE: ServerScope = 'nilecare-metrics';

export function isServerScope(s: string): s is ServerScope {
  return (SERVER_SCOPES as readonly string[]).includes(s);
}

export interface ResourceScope {
  readonly context: ScopeContext;
  /** A resource type or `*`. */
  readonly resourceType: string;
  /** Granted letters, always in c r u d s order. */
  readonly actions: readonly ScopeAction[];
  /** v2 query constraints (`?category=laboratory&status=final`); undefined when none. */
  readonly constraints?: Readonly<Record<string, string>>;
  /** The scope as written. */
  readonly text: string;
  readonly version: 1 | 2;
}

/**
 * Types a wildcard scope (`user/*.rs`, `system/*.rs`) does not cover, as a grant or as a ceiling: only an explicit
 * scope for the type grants them (for AuditEvent, role-scopes.ts gives that to audit roles only).
 */
export const EXPLICIT_SCOPE_TYPES: ReadonlySet<string> = new Set(['AuditEvent']);

const V2_ORDER: readonly ScopeAction[] = ['c', 'r', 'u', 'd', 's'];
const RESOURCE_TYPE = /^(\*|[A-Z][A-Za-z]{1,63})$/;

export function isNonResourceScope(s: string): s is NonResourceScope {
  return (NON_RESOURCE_SCOPES as readonly string[]).includes(s);
}

/** Parses one resource scope; undefined when the text is not a valid SMART v1 or v2 resource scope. */
export function parseResourceScope(text: string): ResourceScope | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const context = text.slice(0, slash);
  if (!(SCOPE_CONTEXTS as readonly string[]).includes(context)) return undefined;
  const rest = text.slice(slash + 1);
  const q = rest.indexOf('?');
  const body = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? undefined : rest.slice(q + 1);
  const dot = body.indexOf('.');
  if (dot < 0) return undefined;
  const resourceType = body.slice(0, dot);
  const permission = body.slice(dot + 1);
  if (!RESOURCE_TYPE.test(resourceType)) return undefined;
  const parsed = parsePermission(permission);
  if (!parsed) return undefined;
  if (query !== undefined && parsed.version === 1) return undefined; // constraints exist only in v2
  let constraints: Record<string, string> | undefined;
  if (query !== undefined) {
    constraints = parseConstraints(query);
    if (!constraints) return undefined;
  }
  return {
    context: context as ScopeContext,
    resourceType,
    actions: parsed.actions,
    ...(constraints ? { constraints } : {}),
    text,
    version: parsed.version,
  };
}

function parsePermission(p: string): { actions: ScopeAction[]; version: 1 | 2 } | undefined {
  switch (p) {
    case 'read':
      return { actions: ['r', 's'], version: 1 };
    case 'write':
      return { actions: ['c', 'u', 'd'], version: 1 };
    case '*':
      return { actions: [...V2_ORDER], version: 1 };
  }
  // v2: a non-empty subsequence of "cruds" in that order, no repeats.
  if (p.length === 0 || p.length > 5) return undefined;
  let at = 0;
  const actions: ScopeAction[] = [];
  for (const ch of p) {
    const idx = V2_ORDER.indexOf(ch as ScopeAction, at);
    if (idx < 0) return undefined;
    actions.push(V2_ORDER[idx]!);
    at = idx + 1;
  }
  return { actions, version: 2 };
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_\-.:]*$/;

function parseConstraints(query: string): Record<string, string> | undefined {
  if (query.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(pair.slice(0, eq));
      value = decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
    if (!PARAM_NAME.test(name) || value.length === 0 || name in out) return undefined;
    out[name] = value;
  }
  return out;
}

export interface ParsedScopes {
  readonly resource: readonly ResourceScope[];
  readonly other: ReadonlySet<NonResourceScope>;
  readonly server: ReadonlySet<ServerScope>;
  /** Tokens that are neither: kept so callers can report or drop them. */
  readonly unknown: readonly string[];
}

/** Splits a space-separated scope string (as in OAuth `scope`) and parses every entry. */
export function parseScopes(scope: string | undefined): ParsedScopes {
  const resource: ResourceScope[] = [];
  const other = new Set<NonResourceScope>();
  const server = new Set<ServerScope>();
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const s of (scope ?? '').split(/\s+/)) {
    if (!s || seen.has(s)) continue;
    seen.add(s);
    if (isNonResourceScope(s)) other.add(s);
    else if (isServerScope(s)) server.add(s);
    else {
      const r = parseResourceScope(s);
      if (r) resource.push(r);
      else unknown.push(s);
    }
  }
  return { resource, other, server, unknown };
}

/**
 * True when `granted` gives at least every action of `wanted` (same context and type, or `*`), and no looser
 * constraints.
 */
export function scopeCovers(granted: ResourceScope, wanted: ResourceScope): boolean {
  if (granted.context !== wanted.context) return false;
  if (granted.resourceType !== '*' && granted.resourceType !== wanted.resourceType) return false;
  if (granted.resourceType === '*' && EXPLICIT_SCOPE_TYPES.has(wanted.resourceType)) return false;
  if (!wanted.actions.every((a) => granted.actions.includes(a))) return false;
  if (!granted.constraints) return true;
  if (!wanted.constraints) return false;
  return Object.entries(granted.constraints).every(([k, v]) => wanted.constraints![k] === v);
}

/**
 * Narrows `wanted` to what `ceiling` allows: for each wanted scope, keeps the actions some ceiling scope of the
 * same context and type grants (with the ceiling's constraints when the wanted one has none). Scopes that keep no
 * action are dropped. The result is written in v2 syntax when narrowed, and as requested otherwise.
 */
export function narrowScopes(wanted: readonly ResourceScope[], ceiling: readonly ResourceScope[]): ResourceScope[] {
  const out: ResourceScope[] = [];
  for (const w of wanted) {
    if (ceiling.some((c) => scopeCovers(c, w))) {
      out.push(w);
      continue;
    }
    // Partial: intersect actions with each ceiling scope that matches context and type.
    for (const c of ceiling) {
      if (c.context !== w.context) continue;
      if (c.resourceType !== '*' && w.resourceType !== '*' && c.resourceType !== w.resourceType) continue;
      if (c.resourceType === '*' && EXPLICIT_SCOPE_TYPES.has(w.resourceType)) continue;
      const actions = w.actions.filter((a) => c.actions.includes(a));
      if (actions.length === 0) continue;
      const constraints = mergeConstraints(c.constraints, w.constraints);
      if (constraints === null) continue;
      const resourceType = w.resourceType === '*' && c.resourceType !== '*' ? c.resourceType : w.resourceType;
      out.push(makeScope(w.context, resourceType, actions, constraints));
    }
  }
  return dedupe(out);
}

function mergeConstraints(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined | null {
  if (!a) return b ? { ...b } : undefined;
  if (!b) return { ...a };
  for (const [k, v] of Object.entries(a)) if (k in b && b[k] !== v) return null;
  return { ...a, ...b };
}

export function makeScope(
  context: ScopeContext,
  resourceType: string,
  actions: readonly ScopeAction[],
  constraints?: Readonly<Record<string, string>>,
): ResourceScope {
  const sorted = V2_ORDER.filter((a) => actions.includes(a));
  const q = constraints
    ? '?' +
      Object.entries(constraints)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join('&')
    : '';
  return {
    context,
    resourceType,
    actions: sorted,
    ...(constraints ? { constraints } : {}),
    text: `${context}/${resourceType}.${sorted.join('')}${q}`,
    version: 2,
  };
}

function dedupe(scopes: ResourceScope[]): ResourceScope[] {
  const seen = new Set<string>();
  return scopes.filter((s) => (seen.has(s.text) ? false : (seen.add(s.text), true)));
}
